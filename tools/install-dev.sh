#!/usr/bin/env bash
# Installs the pinned development tools (tools/dev-requirements.txt) for the Python that runs the
# tests. Works on this project's pyenv machines and on a bare Debian 12 (root): there it first
# installs pip with apt-get, and lets pip write to the system Python (PEP 668 marks Debian's as
# "externally managed"; these are test tools on a throwaway CI machine, not runtime code).
set -euo pipefail
PYTHON=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    echo "install-dev: pip is missing for $PYTHON; installing python3-pip with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-pip >/dev/null
fi
PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --quiet --disable-pip-version-check \
    -r "$here/dev-requirements.txt"
