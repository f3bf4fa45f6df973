#!/usr/bin/env bash
# Prepares the Kodi 21 (Omega) runtime of the real-Kodi tests: a Debian 13 (trixie) root with
# Kodi 21.2 in it, run later with chroot (tests/kodi/harness.py, runtime "kodi21").
#
# - Cached once per machine under $AIOSTREAMS_KODI21_CACHE (default /var/cache/aiostreams-kodi21):
#   the root is `<cache>/root`, and it counts as ready only when its marker file exists.
# - Idempotent: a ready root is left alone (the script prints so and exits 0 at once).
# - Atomic: the root is built in `<cache>/build.<pid>`, the marker is written last, and only then
#   is the folder renamed to `<cache>/root`. A build that was interrupted leaves no `root`, or a
#   `root` without marker: both are removed and built again on the next run.
# - Mounts nothing outside a private mount namespace: debootstrap and apt-get run under
#   `unshare --mount --propagation private`, so any mount they make (proc, sysfs) dies with them,
#   even when this script is killed. The tests mount the same way (see harness.py).
# - A lock file makes concurrent runs wait for each other instead of building twice.
set -euo pipefail

cache=${AIOSTREAMS_KODI21_CACHE:-/var/cache/aiostreams-kodi21}
mirror=${AIOSTREAMS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
root="$cache/root"
marker_name=.aiostreams-kodi21-ready
# Kodi, what it needs to draw with Mesa's llvmpipe on the host's Xvfb, the skin's fonts (the
# host Kodi 20 has them as recommends), and dbus for the tests that talk to a private system bus.
packages=(kodi python3 libgl1-mesa-dri libglx-mesa0 libegl-mesa0 dbus
          fonts-noto-core fonts-noto-mono fonts-roboto-unhinted)

say() { echo "install-kodi21: $*"; }

if [[ -f "$root/$marker_name" ]]; then
  say "Kodi 21 root ready in $root ($(cat "$root/$marker_name"))"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  say "building the Kodi 21 root needs root (debootstrap, chroot)" >&2
  exit 1
fi

for tool in unshare chroot mount flock; do
  command -v "$tool" >/dev/null 2>&1 || { say "'$tool' is missing (util-linux/coreutils)" >&2; exit 1; }
done

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q -q -o Dpkg::Use-Pty=0 debootstrap >/dev/null; then
    apt-get -q -q update
    apt-get install -y -q -q -o Dpkg::Use-Pty=0 debootstrap >/dev/null
  fi
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# Another run may have finished the root while this one waited for the lock.
if [[ -f "$root/$marker_name" ]]; then
  say "Kodi 21 root ready in $root ($(cat "$root/$marker_name"))"
  exit 0
fi

# Removes a folder this script made, but never through a mount point (a bind-mounted /dev or
# /tmp would be emptied on the host): refuse if anything is mounted below it.
remove_tree() {
  local path=$1
  [[ -e "$path" ]] || return 0
  local real
  real=$(readlink -f "$path")
  if awk -v p="$real/" '{ if (index($5 "/", p) == 1) found = 1 } END { exit !found }' /proc/self/mountinfo; then
    say "refusing to remove $real: something is mounted below it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$path"
}

for stale in "$cache"/build.*; do
  [[ -e "$stale" ]] || continue
  say "removing an interrupted build: $stale"
  remove_tree "$stale"
done
if [[ -e "$root" ]]; then
  say "removing $root: it has no marker (an interrupted build)"
  remove_tree "$root"
fi

build="$cache/build.$$"
started=$(date +%s)
say "debootstrap $suite from $mirror into $build"
# Everything that may mount runs in a private mount namespace: its mounts vanish with it.
unshare --mount --propagation private -- bash -euo pipefail -s "$build" "$mirror" "$suite" "${packages[@]}" <<'BUILD'
build=$1 mirror=$2 suite=$3
shift 3
debootstrap --variant=minbase "$suite" "$build" "$mirror" >"$build.debootstrap.log" 2>&1 || {
  tail -n 30 "$build.debootstrap.log" >&2
  exit 1
}
rm -f "$build.debootstrap.log"
# No daemon may start inside the root while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$build/usr/sbin/policy-rc.d"
chmod 0755 "$build/usr/sbin/policy-rc.d"
mount -t proc proc "$build/proc"
chroot "$build" env DEBIAN_FRONTEND=noninteractive \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  sh -c 'apt-get -q -q update && apt-get install -y -q -q -o Dpkg::Use-Pty=0 --no-install-recommends "$@" && apt-get clean' \
  apt "$@" >"$build.apt.log" 2>&1 || {
  tail -n 30 "$build.apt.log" >&2
  exit 1
}
rm -f "$build.apt.log"
umount "$build/proc"
BUILD

version=$(chroot "$build" dpkg-query -W -f='${Version}' kodi)
# The marker is written last, then the finished root takes its name in one rename.
echo "Debian $suite, kodi $version, built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$build/$marker_name"
mv -T "$build" "$root"
say "Kodi 21 root ready in $root (kodi $version, $(($(date +%s) - started)) s)"
