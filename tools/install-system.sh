#!/usr/bin/env bash
# Installs every system package that any test tier needs (Debian/Ubuntu, apt only). `make deps`
# runs it before the first tier, so no later target installs anything as a side effect.
#   ffmpeg      the AIOStreams sandbox's test clips (integration, reliability and real-Kodi tiers)
#   kodi        the real-Kodi tier (Debian 12: Kodi 20.1)
#   xvfb        the real-Kodi tier's X server
#   imagemagick `import` screenshots of the real Kodi
#   x11-utils   `xdpyinfo`, to see that Xvfb is up
# Idempotent: it installs only the packages that are missing and refreshes the apt lists only
# when an install is needed and they are absent or stale. Recommends stay on: that is the
# verified setup (kodi.md).
set -euo pipefail

# package:command pairs; a package counts as present when dpkg says so or its command exists.
wanted=(ffmpeg:ffmpeg kodi:kodi xvfb:Xvfb imagemagick:import x11-utils:xdpyinfo)

missing=()
for pair in "${wanted[@]}"; do
  package="${pair%%:*}"
  command_name="${pair##*:}"
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    continue
  fi
  if command -v "$command_name" >/dev/null 2>&1 && [[ "$package" != kodi ]]; then
    continue
  fi
  missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system: ffmpeg, kodi, xvfb, imagemagick and x11-utils already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system: apt-get not found; install by hand: ${missing[*]}" >&2
  exit 1
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "install-system: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
apt_quiet=(-q -q -o Dpkg::Use-Pty=0)

# Refresh the package lists only when there are none, or they are older than a day.
lists=/var/lib/apt/lists
if [[ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit 2>/dev/null)" ]]; then
  echo "install-system: apt-get update"
  "${as_root[@]}" apt-get "${apt_quiet[@]}" update
fi

echo "install-system: installing ${missing[*]}"
"${as_root[@]}" apt-get "${apt_quiet[@]}" install -y "${missing[@]}"

for pair in "${wanted[@]}"; do
  command_name="${pair##*:}"
  if ! command -v "$command_name" >/dev/null 2>&1; then
    echo "install-system: '$command_name' is still missing after the install" >&2
    exit 1
  fi
done
echo "install-system: done"
