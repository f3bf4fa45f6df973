# AIOStreams for Kodi: developer entry points. `make test` is the README's test command.
PYTHON ?= python3
VERSION := 2.9.0
ZIP := dist/plugin.video.aiostreams-$(VERSION).zip
CORE := addon.py service.py script.py resources
DEV := sandbox aiostreams_sandbox tests bench tools

.PHONY: deps deps-python deps-system zip check lint vermin check-addon test-core-imports test test-unit \
        test-integration test-reliability test-kodi demo bench clean

# The one install step: every tool and system package that any tier needs, before the first tier
# runs. No other target installs anything.
deps: deps-python deps-system deps-kodi21

deps-python:
	PYTHON=$(PYTHON) bash tools/install-dev.sh

deps-system:
	bash tools/install-system.sh

# Kodi 21.2 in a Debian 13 root, cached in /var/cache/aiostreams-kodi21 (built once, ~70 s).
.PHONY: deps-kodi21
deps-kodi21: deps-system
	bash tools/install-kodi21.sh

zip:
	$(PYTHON) tools/build_zip.py --out $(ZIP)

lint:
	$(PYTHON) -m ruff check $(CORE) $(DEV)
	$(PYTHON) -m ruff format --check $(CORE) $(DEV)

vermin:
	$(PYTHON) -c 'import sys, vermin; sys.exit(vermin.main())' -q -t=3.8- --violations --no-tips \
	  --eval-annotations $(CORE)

check-addon: zip
	$(PYTHON) tools/check_addon.py $(ZIP)

test-core-imports:
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit/test_core_imports_without_kodi.py

# Import circles (also through imports inside functions) and the 400-line cap, both over ast/text.
.PHONY: import-cycles
import-cycles:
	$(PYTHON) tools/import_cycles.py
	$(PYTHON) tools/module_sizes.py

check: lint vermin check-addon test-core-imports import-cycles

test-unit:
	$(PYTHON) -m pytest -q tests/unit

test-integration:
	$(PYTHON) -m pytest -q tests/integration

test-reliability:
	$(PYTHON) -m pytest -q tests/reliability

test-kodi: zip
	$(PYTHON) -m pytest -q tests/kodi

test: deps check test-unit test-integration test-reliability test-kodi

demo:
	$(PYTHON) tools/demo.py

bench:
	$(PYTHON) bench/bench_sync.py

clean:
	rm -rf dist build .pytest_cache
