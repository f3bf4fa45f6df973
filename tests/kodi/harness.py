"""Drives a real Kodi under Xvfb for end-to-end tests: start, talk JSON-RPC, read its log, stop.

One `KodiInstance` owns a fresh HOME, its own Xvfb display (picked by Xvfb itself through
`-displayfd`) and its own JSON-RPC TCP port (advancedsettings.xml `<jsonrpc><tcpport>`). Both
processes start in their own session and are always stopped by process group, never by name.
A machine-wide lock file covers the port choice until Kodi is verified to own the port, so two
harnesses (two pytest runs) never share a HOME, a display or a port.

The add-on under test and a helper script add-on (tests/kodi/helper_addon) are copied into
$HOME/.kodi/addons before Kodi starts; Kodi finds them disabled, the harness enables both over
JSON-RPC and closes the "Disabled add-ons" questions with Input.Back until the home window shows.

Kodi itself comes from a `KodiRuntime`: "kodi20" is the host's Kodi 20.1 (Debian 12), "kodi21"
is Kodi 21.2 in a Debian 13 root built by tools/install-kodi21.sh and started with chroot. The
chroot Kodi runs in a private mount namespace (`unshare --mount --propagation private`): /proc,
/dev and the temp folder (HOME, pytest's tmp_path, sockets) are mounted there only, and the kernel
drops those mounts when the last process in it exits, so a failed or killed test leaves nothing
mounted. Xvfb always runs on the host; loopback is shared, so the sandboxes are reachable.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence
from xml.sax.saxutils import escape

REPO_ROOT = Path(__file__).resolve().parents[2]
HELPER_SOURCE = Path(__file__).resolve().parent / "helper_addon"
ADDON_ID = "plugin.video.aiostreams"
HELPER_ID = "script.aiostreams.testhelper"
HELPER_PREFIX = "[AIOStreams TestHelper]"
ADDON_PREFIXES = ("[AIOStreams]", "[AIOStreams Service]")
HOME_WINDOW_ID = 10000
VIDEOS_WINDOW_ID = 10025
# Seconds the `kodi` wrapper script may take to write its crash report after kodi.bin died.
BOOT_CRASH_GRACE = 15.0
# What the shell running kodi.bin (the `kodi` wrapper) prints when a signal killed it.
_CRASH_LINES = re.compile(
    r"^(Segmentation fault|Aborted|Bus error|Illegal instruction|Crash report available at .*)",
    re.MULTILINE,
)
LOCK_PATH = Path(tempfile.gettempdir()) / "aiostreams-kodi-harness.lock"
ARTIFACTS_ROOT = Path(tempfile.gettempdir()) / "aiostreams-kodi-artifacts"
# Set to a repo-shaped folder to install that tree instead of this checkout (same file filter).
SOURCE_OVERRIDE_ENV = "AIOSTREAMS_KODI_ADDON_SRC"
REQUIRED_PROGRAMS = ("kodi", "Xvfb", "import")
# Development only: run a subset, e.g. AIOSTREAMS_KODI_RUNTIMES=kodi20. `make test` runs all.
RUNTIMES_ENV = "AIOSTREAMS_KODI_RUNTIMES"
KODI21_CACHE_ENV = "AIOSTREAMS_KODI21_CACHE"
KODI21_MARKER = ".aiostreams-kodi21-ready"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Runs under `unshare --mount --propagation private`: these mounts exist in that namespace only.
# $1 is the root, the other arguments are host folders bound at the same path inside it.
_CHROOT_LAUNCH = """set -eu
root=$1; shift
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
for folder in "$@"; do
  mkdir -p "$root$folder"
  mount --rbind "$folder" "$root$folder"
done
exec chroot "$root" kodi --windowing=x11
"""

# Kodi's deprecation notices ("... is deprecated and might be removed ...") and Python's
# DeprecationWarning/PendingDeprecationWarning (shown because Kodi starts with PYTHONWARNINGS).
_DEPRECATION = re.compile(r"deprecat", re.IGNORECASE)
_PROBLEM_LEVELS = ("warning", "error", "fatal")

_LOG_ENTRY = re.compile(
    r"^(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) T:\d+\s+"
    r"(?P<level>\w+) <(?P<component>[^>]*)>: "
)


class KodiError(RuntimeError):
    """Kodi did not do what the harness asked (start, answer, run a script, quit)."""


class KodiCrashed(KodiError):
    """Kodi itself crashed during a test (kodi.bin killed by a signal: the wrapper says so).

    The real-Kodi tier runs such a test once more (tests/kodi/conftest.py); any other failure
    is never run again.
    """


class LogEntry:
    """One kodi.log entry: its first line plus any continuation lines (tracebacks)."""

    def __init__(self, time_text: str, level: str, component: str, text: str) -> None:
        self.time_text = time_text
        self.level = level
        self.component = component
        self.text = text

    @property
    def timestamp(self) -> float:
        """Seconds since the epoch (kodi.log writes local time with milliseconds)."""
        return dt.datetime.strptime(self.time_text, "%Y-%m-%d %H:%M:%S.%f").timestamp()

    @property
    def message(self) -> str:
        return _LOG_ENTRY.sub("", self.text, count=1)

    def __repr__(self) -> str:
        return f"LogEntry({self.text!r})"


def _load_build_zip() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_zip", str(REPO_ROOT / "tools" / "build_zip.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def addon_source_root() -> Path:
    """The repo-shaped tree whose installable files are installed into Kodi."""
    override = os.environ.get(SOURCE_OVERRIDE_ENV)
    return Path(override).resolve() if override else REPO_ROOT


def copy_addon(destination: Path, source_root: Optional[Path] = None) -> Path:
    """Copies the add-on's installable files (the build_zip filter) into `destination`."""
    build_zip = _load_build_zip()
    build_zip.copy_installable_tree(destination, source_root or addon_source_root())
    return destination


def missing_programs() -> List[str]:
    """The programs the harness needs that are not on PATH."""
    return [name for name in REQUIRED_PROGRAMS if shutil.which(name) is None]


def settings_xml(values: Mapping[str, Any]) -> str:
    """An add-on settings file in Kodi's v2 format (what Kodi 19+ writes to addon_data)."""
    lines = ['<settings version="2">']
    for setting_id, value in sorted(values.items()):
        lines.append(f'    <setting id="{escape(setting_id)}">{escape(_text(value))}</setting>')
    lines.append("</settings>")
    return "\n".join(lines) + "\n"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "string"


def helper_request(token: str, command: str, arguments: Sequence[Any]) -> str:
    """The helper's one parameter: base64url JSON, since Kodi splits params at commas."""
    payload = {"token": token, "command": command, "arguments": [str(a) for a in arguments]}
    return base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def machine_lock(timeout: float = 300.0) -> Iterator[None]:
    """An exclusive lock shared by every harness on this machine (released if we die)."""
    with open(str(LOCK_PATH), "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as busy:
                if time.monotonic() > deadline:
                    raise KodiError(f"another Kodi harness held {LOCK_PATH} too long") from busy
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _group_pids(pgid: int) -> List[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ...; a zombie counts as gone.
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _listening_socket_inodes(port: int) -> List[str]:
    inodes = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.append(fields[9])
    return inodes


def _owns_port(pgid: int, port: int) -> bool:
    wanted = {f"socket:[{inode}]" for inode in _listening_socket_inodes(port)}
    for pid in _group_pids(pgid):
        fd_dir = f"/proc/{pid}/fd"
        try:
            for fd in os.listdir(fd_dir):
                with contextlib.suppress(OSError):
                    if os.readlink(os.path.join(fd_dir, fd)) in wanted:
                        return True
        except OSError:
            continue
    return False


def stop_process_group(process: Optional[subprocess.Popen], grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL, the process group led by `process` (started in its own session)."""
    if process is None:
        return
    pgid = process.pid
    for sig, wait_for in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not _group_pids(pgid) and process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait_for
        while time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
            if process.poll() is not None and not _group_pids(pgid):
                return
    raise KodiError(f"process group {pgid} survived SIGKILL")


class KodiRuntime:
    """Where a Kodi comes from and how it is launched; `name` is the pytest id ("kodi20")."""

    name = ""
    major = 0
    description = ""

    def missing(self) -> List[str]:
        """What is absent for this runtime to start (empty when ready)."""
        raise NotImplementedError

    def install_command(self) -> List[str]:
        """The command that installs what `missing()` lists (idempotent)."""
        raise NotImplementedError

    def launch_command(self, instance_root: Path) -> List[str]:
        raise NotImplementedError

    def path_variable(self, host_path: str) -> str:
        raise NotImplementedError

    def time_zone(self) -> Optional[str]:
        """A zone for Kodi's locale.timezone setting, or None to leave Kodi's default."""
        return None

    def __repr__(self) -> str:
        return f"<{self.description}>"


class HostKodi20(KodiRuntime):
    """The host's own Kodi (Debian 12's Kodi 20.1), installed by tools/install-system.sh."""

    name = "kodi20"
    major = 20
    description = "Kodi 20 (host)"

    def missing(self) -> List[str]:
        return missing_programs()

    def install_command(self) -> List[str]:
        return ["make", "deps-system"]

    def launch_command(self, instance_root: Path) -> List[str]:
        return ["kodi", "--windowing=x11"]

    def path_variable(self, host_path: str) -> str:
        # Kodi embeds the system Python. A pyenv or venv interpreter found first on PATH makes
        # it load that interpreter's extension modules (e.g. _ssl) and fail with undefined symbols.
        return os.pathsep.join(
            part
            for part in host_path.split(os.pathsep)
            if part
            and ".pyenv" not in part
            and part != os.environ.get("VIRTUAL_ENV", "\0") + "/bin"
        )


class ChrootKodi21(KodiRuntime):
    """Kodi 21.2 from a Debian 13 root (tools/install-kodi21.sh), started with chroot."""

    name = "kodi21"
    major = 21
    description = "Kodi 21 (Debian 13 chroot)"

    @property
    def root(self) -> Path:
        cache = os.environ.get(KODI21_CACHE_ENV, "/var/cache/aiostreams-kodi21")
        return Path(cache) / "root"

    def missing(self) -> List[str]:
        absent = [
            name for name in ("Xvfb", "import", "unshare", "chroot") if not shutil.which(name)
        ]
        if not (self.root / KODI21_MARKER).is_file():
            absent.append(f"the Kodi 21 root {self.root}")
        return absent

    def install_command(self) -> List[str]:
        return ["make", "deps-kodi21"]

    def bound_folders(self, instance_root: Path) -> List[str]:
        """Host folders seen at the same path inside the root: the temp folder holds the
        instance's HOME, pytest's tmp_path and any socket a test hands to Kodi; /run/systemd
        and /run/dbus let Kodi 21 pick the same power back-end (logind, which it chooses when
        /run/systemd/seats exists) and system bus as the host's Kodi 20."""
        folders = [os.path.realpath(tempfile.gettempdir())]
        real_root = os.path.realpath(str(instance_root))
        if not any(real_root == f or real_root.startswith(f + "/") for f in folders):
            folders.append(real_root)
        folders.extend(path for path in ("/run/systemd", "/run/dbus") if os.path.isdir(path))
        return folders

    def launch_command(self, instance_root: Path) -> List[str]:
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            _CHROOT_LAUNCH,
            "kodi21-chroot",
            str(self.root),
        ] + self.bound_folders(instance_root)

    def path_variable(self, host_path: str) -> str:
        return CHROOT_PATH

    def time_zone(self) -> Optional[str]:
        """The host's zone (kodi.log writes local time, which the harness parses as the host's;
        Kodi ignores TZ and reads the root's /etc/localtime, so it gets Kodi's own
        locale.timezone setting): TZ when set, else the zone /etc/localtime links to."""
        if os.environ.get("TZ"):
            return os.environ["TZ"]
        target = os.path.realpath("/etc/localtime")
        marker = "/zoneinfo/"
        return target.split(marker, 1)[1] if marker in target else None


RUNTIMES: Dict[str, KodiRuntime] = {
    runtime.name: runtime for runtime in (HostKodi20(), ChrootKodi21())
}


def selected_runtimes() -> List[KodiRuntime]:
    """The runtimes every real-Kodi test runs on: all, unless AIOSTREAMS_KODI_RUNTIMES narrows."""
    wanted = os.environ.get(RUNTIMES_ENV, "").replace(",", " ").split()
    if not wanted:
        return list(RUNTIMES.values())
    unknown = [name for name in wanted if name not in RUNTIMES]
    if unknown:
        raise KodiError(
            "{}={} names unknown runtimes {}; known: {}".format(
                RUNTIMES_ENV, os.environ[RUNTIMES_ENV], unknown, ", ".join(RUNTIMES)
            )
        )
    return [RUNTIMES[name] for name in wanted]


class KodiInstance:
    """One Kodi with a fresh HOME, its own Xvfb display and JSON-RPC port."""

    def __init__(
        self,
        root: Path,
        addon_dir: Path,
        settings: Optional[Mapping[str, Any]] = None,
        helper_dir: Path = HELPER_SOURCE,
        runtime: Optional[KodiRuntime] = None,
    ) -> None:
        self.runtime = runtime or RUNTIMES["kodi20"]
        self.kodi_version: Dict[str, Any] = {}
        self.root = Path(root)
        self.home = self.root / "home"
        self.addon_dir = Path(addon_dir)
        self.helper_dir = Path(helper_dir)
        self.port = 0
        self.display = ""
        self.boot_seconds = 0.0
        self.initial_settings = dict(settings or {})
        self._xvfb: Optional[subprocess.Popen] = None
        self._kodi: Optional[subprocess.Popen] = None
        self._prepared = False
        self._stdout_at_launch = 0

    # -- paths -------------------------------------------------------------------------------
    @property
    def kodi_dir(self) -> Path:
        return self.home / ".kodi"

    @property
    def log_path(self) -> Path:
        return self.kodi_dir / "temp" / "kodi.log"

    @property
    def stdout_path(self) -> Path:
        return self.root / "kodi.stdout.log"

    @property
    def addon_data_dir(self) -> Path:
        return self.kodi_dir / "userdata" / "addon_data" / ADDON_ID

    @property
    def installed_addon_dir(self) -> Path:
        return self.kodi_dir / "addons" / ADDON_ID

    # -- lifecycle ---------------------------------------------------------------------------
    def prepare_home(self) -> None:
        """Writes the fresh HOME: null ALSA sink, advanced/GUI settings, both add-ons."""
        if self._prepared:
            return
        userdata = self.kodi_dir / "userdata"
        userdata.mkdir(parents=True, exist_ok=True)
        (self.home / ".asoundrc").write_text("pcm.!default { type null }\n")
        runtime = self.root / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        # Never check the (unreachable) add-on repositories, never pop update notifications.
        zone = self.runtime.time_zone()
        (userdata / "guisettings.xml").write_text(
            '<settings version="2">\n'
            '    <setting id="general.addonupdates">2</setting>\n'
            '    <setting id="general.addonnotifications">false</setting>\n'
            + (f'    <setting id="locale.timezone">{escape(zone)}</setting>\n' if zone else "")
            + "</settings>\n"
        )
        shutil.copytree(str(self.addon_dir), str(self.installed_addon_dir))
        shutil.copytree(str(self.helper_dir), str(self.kodi_dir / "addons" / HELPER_ID))
        if self.initial_settings:
            self.write_addon_settings(self.initial_settings)
        self._prepared = True

    def write_addon_settings(self, values: Mapping[str, Any]) -> Path:
        """Writes our add-on's settings.xml (only while Kodi is stopped: Kodi owns it when up)."""
        if self.is_running():
            raise KodiError("write_addon_settings needs Kodi stopped; use set_addon_setting")
        self.addon_data_dir.mkdir(parents=True, exist_ok=True)
        path = self.addon_data_dir / "settings.xml"
        path.write_text(settings_xml(values), encoding="utf-8")
        return path

    def _write_advancedsettings(self) -> None:
        (self.kodi_dir / "userdata" / "advancedsettings.xml").write_text(
            '<advancedsettings version="1.0">\n'
            f"    <jsonrpc><tcpport>{self.port}</tcpport></jsonrpc>\n"
            "</advancedsettings>\n"
        )

    def _start_xvfb(self) -> None:
        if self._xvfb is not None and self._xvfb.poll() is None:
            return
        read_end, write_end = os.pipe()
        try:
            with open(str(self.root / "xvfb.log"), "wb") as xvfb_log:
                # -displayfd: Xvfb picks a free display itself and writes its number when ready.
                self._xvfb = subprocess.Popen(
                    [
                        "Xvfb",
                        "-displayfd",
                        str(write_end),
                        "-screen",
                        "0",
                        "1280x720x24",
                        "-nolisten",
                        "tcp",
                        "-noreset",
                    ],
                    pass_fds=(write_end,),
                    stdout=subprocess.DEVNULL,
                    stderr=xvfb_log,
                    start_new_session=True,
                )
            os.close(write_end)
            write_end = -1
            number = b""
            deadline = time.monotonic() + 20
            while not number.endswith(b"\n"):
                if time.monotonic() > deadline or self._xvfb.poll() is not None:
                    raise KodiError("Xvfb did not start; see {}".format(self.root / "xvfb.log"))
                chunk = os.read(read_end, 16)
                if not chunk:
                    raise KodiError("Xvfb exited; see {}".format(self.root / "xvfb.log"))
                number += chunk
            self.display = ":" + number.decode().strip()
        finally:
            os.close(read_end)
            if write_end != -1:
                os.close(write_end)

    def _environment(self) -> Dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                (
                    "KODI",
                    "WAYLAND",
                    "XDG_",
                    "PULSE",
                    "DBUS_SESSION",
                    "PYTHON",
                    "PYENV",
                    "VIRTUAL_ENV",
                )
            )
        }
        env["PATH"] = self.runtime.path_variable(env.get("PATH", ""))
        env.update(
            # Python hides DeprecationWarning outside __main__: show each one in kodi.log, where
            # `kodi_log_problems` finds it (Kodi 21 runs Python 3.13, which removed and
            # deprecated parts of the standard library).
            PYTHONWARNINGS="default::DeprecationWarning,default::PendingDeprecationWarning",
            HOME=str(self.home),
            DISPLAY=self.display,
            XDG_RUNTIME_DIR=str(self.root / "xdg-runtime"),
            CRASHLOG_DIR=str(self.root),
        )
        return env

    def start(self, timeout: float = 60.0, enable_addons: bool = True) -> float:
        """Boots Kodi (fresh or same HOME); returns seconds until it is usable at home.

        Debian's Kodi 20 under Xvfb very rarely segfaults while its skin loads, before any
        add-on code runs. A boot whose Kodi process died is retried once; any other failure,
        and a second crash, fail the test.

        The JSON-RPC socket resets the moment kodi.bin dies, but the `kodi` wrapper script
        (the process we started) lives on for a while to write its crash report, so the
        failure waits a few seconds for the wrapper to exit before it decides.
        """
        try:
            return self._start_once(timeout, enable_addons)
        except Exception:
            code = self._exit_code_within(BOOT_CRASH_GRACE)
            if code is None:
                raise
            print("kodi harness: Kodi died during boot (exit %s); retrying once" % code)
            stop_process_group(self._kodi)
            self._kodi = None
            return self._start_once(timeout, enable_addons)

    def _exit_code_within(self, grace: float) -> Optional[int]:
        """The Kodi process's exit code if it exits within `grace` seconds, else None."""
        if self._kodi is None:
            return None
        deadline = time.monotonic() + grace
        while self._kodi.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return self._kodi.poll()

    def _start_once(self, timeout: float, enable_addons: bool) -> float:
        if self.is_running():
            raise KodiError("Kodi is already running")
        self.prepare_home()
        self._start_xvfb()
        started = time.monotonic()
        for attempt in range(3):
            with machine_lock():
                if not self.port or attempt:
                    self.port = _free_port()
                self._write_advancedsettings()
                self._launch_kodi()
                if self._wait_for_own_port(started + timeout):
                    break
            stop_process_group(self._kodi)
            self._kodi = None
        else:
            raise KodiError("Kodi never served JSON-RPC on a port of its own")
        self._check_version()
        if enable_addons:
            self.enable_addon(HELPER_ID)
            self.enable_addon(ADDON_ID)
        self.go_home(timeout=max(5.0, started + timeout - time.monotonic()))
        self.boot_seconds = time.monotonic() - started
        return self.boot_seconds

    def _check_version(self) -> None:
        """The Kodi that answers is the one the runtime names (not, say, an upgraded host)."""
        version = self.jsonrpc("Application.GetProperties", {"properties": ["version"]})
        self.kodi_version = version["version"]
        if self.kodi_version.get("major") != self.runtime.major:
            raise KodiError(
                f"{self.runtime.description} runtime answered as Kodi {self.kodi_version}"
            )

    def _launch_kodi(self) -> None:
        self._stdout_at_launch = self._stdout_size()
        with open(str(self.stdout_path), "ab") as output:
            self._kodi = subprocess.Popen(
                self.runtime.launch_command(self.root),
                cwd=str(self.root),
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_for_own_port(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self._kodi is None or self._kodi.poll() is not None:
                raise KodiError(
                    "{} exited with {} during start; see {} and {}".format(
                        self.runtime.description,
                        self._kodi.returncode if self._kodi else "?",
                        self.log_path,
                        self.stdout_path,
                    )
                )
            try:
                if self.jsonrpc("JSONRPC.Ping", timeout=2) == "pong":
                    return _owns_port(self._kodi.pid, self.port)
            except (OSError, KodiError):
                pass
            time.sleep(0.1)
        raise KodiError(f"Kodi did not answer JSON-RPC on port {self.port} in time")

    def is_running(self) -> bool:
        return self._kodi is not None and self._kodi.poll() is None

    def _stdout_size(self) -> int:
        try:
            return self.stdout_path.stat().st_size
        except FileNotFoundError:
            return 0

    def crash_lines(self) -> List[str]:
        """What the `kodi` wrapper printed about a crash of the Kodi launched last ([] if none).

        Kodi under Xvfb very rarely segfaults in its own code (seen on Kodi 20.1 and 21.2, with
        no add-on code on the stack of the moment: skin loading, window opening).
        """
        try:
            with open(str(self.stdout_path), "rb") as handle:
                handle.seek(self._stdout_at_launch)
                text = handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return [match.group(0).strip() for match in _CRASH_LINES.finditer(text)]

    def quit_and_wait(self, timeout: float = 30.0) -> float:
        """Application.Quit, then waits until every Kodi process exited; returns the seconds."""
        if not self.is_running():
            raise KodiError("Kodi is not running")
        started = time.monotonic()
        self.jsonrpc("Application.Quit")
        pgid = self._kodi.pid  # type: ignore[union-attr]
        while time.monotonic() - started < timeout:
            if self._kodi.poll() is not None and not _group_pids(pgid):  # type: ignore[union-attr]
                return time.monotonic() - started
            time.sleep(0.02)
        raise KodiError(f"Kodi still running {timeout:.0f} s after Application.Quit")

    def stop(self) -> None:
        """Stops Kodi and Xvfb by process group; safe to call at any time, more than once."""
        try:
            stop_process_group(self._kodi)
        finally:
            self._kodi = None
            try:
                stop_process_group(self._xvfb)
            finally:
                self._xvfb = None

    # -- JSON-RPC ----------------------------------------------------------------------------
    def jsonrpc(self, method: str, params: Optional[Any] = None, timeout: float = 10.0) -> Any:
        """Calls one JSON-RPC method over raw TCP; returns its result or raises KodiError."""
        request_id = uuid.uuid4().hex
        request: Dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        decoder = json.JSONDecoder()
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            connection.sendall(json.dumps(request).encode("utf-8"))
            buffer = ""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                buffer += chunk.decode("utf-8", "replace")
                # Kodi also pushes notifications on the socket: skip every object but ours.
                while buffer.strip():
                    try:
                        message, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    buffer = buffer.lstrip()[end:]
                    if message.get("id") != request_id:
                        continue
                    if "error" in message:
                        raise KodiError("{} failed: {}".format(method, message["error"]))
                    return message.get("result")
        raise KodiError(f"{method}: no answer from Kodi on port {self.port}")

    def enable_addon(self, addon_id: str, timeout: float = 10.0) -> None:
        self.jsonrpc("Addons.SetAddonEnabled", {"addonid": addon_id, "enabled": True})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.addon_enabled(addon_id):
                return
            time.sleep(0.1)
        raise KodiError(f"{addon_id} did not become enabled")

    def addon_enabled(self, addon_id: str) -> bool:
        details = self.jsonrpc(
            "Addons.GetAddonDetails", {"addonid": addon_id, "properties": ["enabled"]}
        )
        return bool(details["addon"]["enabled"])

    def current_window(self) -> Dict[str, Any]:
        return self.jsonrpc("GUI.GetProperties", {"properties": ["currentwindow"]})["currentwindow"]

    def go_home(self, timeout: float = 20.0, settle: float = 0.6) -> None:
        """Input.Back until the home window has shown for `settle` seconds (closes dialogs)."""
        deadline = time.monotonic() + timeout
        home_since: Optional[float] = None
        while time.monotonic() < deadline:
            if self.current_window()["id"] == HOME_WINDOW_ID:
                home_since = home_since or time.monotonic()
                if time.monotonic() - home_since >= settle:
                    return
            else:
                home_since = None
                if self.current_window()["id"] == VIDEOS_WINDOW_ID:
                    # Straight home: backing out of a plugin folder by folder makes Kodi load
                    # each parent, and the next Back cancels that load ("GetDirectory - Error
                    # getting plugin://..." in kodi.log, which the log check counts).
                    self.jsonrpc("GUI.ActivateWindow", {"window": "home"})
                else:
                    self.jsonrpc("Input.Back")
            time.sleep(0.1)
        raise KodiError(f"Kodi did not reach the home window: {self.current_window()}")

    # -- the helper script add-on ------------------------------------------------------------
    def run_helper(self, command: str, arguments: Sequence[str], timeout: float = 15.0) -> None:
        """Runs one helper command and waits for its done line; raises with its error."""
        token = uuid.uuid4().hex[:12]
        mark = self.log_mark()
        self.jsonrpc(
            "Addons.ExecuteAddon",
            {"addonid": HELPER_ID, "params": [helper_request(token, command, arguments)]},
        )
        pattern = rf"{re.escape(HELPER_PREFIX)} (done|failed) {token}"
        match = self.wait_for_log(pattern, timeout=timeout, since=mark)
        if match.group(1) == "failed":
            failure = [e.text for e in self.log_entries(since=mark) if token in e.text]
            raise KodiError("helper {} failed:\n{}".format(command, "\n".join(failure)))

    def run_builtin(self, builtin: str, timeout: float = 15.0) -> None:
        """Runs a Kodi builtin (e.g. "NotifyAll(a,b)") through the helper; waits until done."""
        self.run_helper("builtin", [builtin], timeout=timeout)

    def set_addon_setting(
        self, setting_id: str, value: Any, addon_id: str = ADDON_ID, timeout: float = 15.0
    ) -> None:
        """Sets a setting through xbmcaddon (fires the add-on's onSettingsChanged)."""
        self.run_helper("set_setting", [addon_id, setting_id, _kind(value), _text(value)], timeout)

    # -- kodi.log ----------------------------------------------------------------------------
    def log_text(self) -> str:
        """The whole kodi.log (without its byte-order mark); "" before Kodi wrote it."""
        try:
            return self.log_path.read_bytes().decode("utf-8-sig", "replace")
        except FileNotFoundError:
            return ""

    def log_mark(self) -> int:
        """A position in the log: pass it as `since` to look only at what comes after."""
        return len(self.log_text())

    def log_entries(self, since: int = 0) -> List[LogEntry]:
        entries: List[LogEntry] = []
        for line in self.log_text()[since:].splitlines():
            match = _LOG_ENTRY.match(line)
            if match:
                entries.append(
                    LogEntry(
                        match.group("time"), match.group("level"), match.group("component"), line
                    )
                )
            elif entries:
                entries[-1].text += "\n" + line
        return entries

    def addon_log_entries(self, since: int = 0) -> List[LogEntry]:
        """Entries our add-on wrote: messages starting [AIOStreams] or [AIOStreams Service]."""
        return [
            entry for entry in self.log_entries(since) if entry.message.startswith(ADDON_PREFIXES)
        ]

    def addon_log_lines(self, since: int = 0) -> List[str]:
        """The text (timestamp, level, message) of every entry our add-on wrote."""
        return [entry.text for entry in self.addon_log_entries(since)]

    def wait_for_log(self, pattern: str, timeout: float = 10.0, since: int = 0) -> re.Match:
        """Waits until `pattern` (a regex, multiline) matches kodi.log after `since`."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log_text()[since:])
            if match:
                return match
            if time.monotonic() > deadline:
                raise KodiError(f"no log line matching {pattern!r} within {timeout} s")
            time.sleep(0.05)

    def python_tracebacks(self, include_helper: bool = False) -> List[str]:
        """Every Python error report or traceback in kodi.log that mentions our add-on."""
        needles = [ADDON_ID] + list(ADDON_PREFIXES) + ([HELPER_ID] if include_helper else [])
        found = []
        for entry in self.log_entries():
            if "Traceback (most recent call last)" not in entry.text and (
                "EXCEPTION Thrown" not in entry.text
            ):
                continue
            if any(needle in entry.text for needle in needles):
                found.append(entry.text)
        return found

    def kodi_log_problems(self, since: int = 0) -> List[LogEntry]:
        """Warnings and errors Kodi logged about our add-on (not the add-on's own lines).

        An entry counts when it is at warning level or above and either names our add-on (its
        id or files: Python errors, settings or addon.xml complaints) or mentions a deprecation
        without naming the helper add-on (Kodi 21's API deprecation notices name the call, not
        the caller; only our add-on and the helper run Python in the test Kodi). The add-on's own
        "[AIOStreams]" lines are its designed output, checked by the tests that provoke them.
        """
        problems = []
        for entry in self.log_entries(since):
            if entry.level not in _PROBLEM_LEVELS or entry.message.startswith(ADDON_PREFIXES):
                continue
            if entry.message.startswith(HELPER_PREFIX):
                continue
            names_addon = ADDON_ID in entry.text
            deprecation = _DEPRECATION.search(entry.text) and HELPER_ID not in entry.text
            if names_addon or deprecation:
                problems.append(entry)
        return problems

    # -- screen ------------------------------------------------------------------------------
    def screenshot(self, path: Path) -> Path:
        """Saves what the Xvfb screen shows (ImageMagick `import -window root`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-window", "root", "-display", self.display, str(path)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return path

    # -- artefacts ---------------------------------------------------------------------------
    def keep_artifacts(self, name: str) -> Path:
        """Copies kodi.log and friends into a folder under /tmp; returns the folder."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120]
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = ARTIFACTS_ROOT / f"{safe}-{stamp}"
        target.mkdir(parents=True, exist_ok=True)
        for source in (
            self.log_path,
            self.kodi_dir / "temp" / "kodi.old.log",
            self.stdout_path,
            self.root / "xvfb.log",
        ):
            if source.is_file():
                shutil.copy2(str(source), str(target / source.name))
        if self.addon_data_dir.is_dir():
            shutil.copytree(
                str(self.addon_data_dir),
                str(target / "addon_data"),
                ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm"),
            )
        return target
