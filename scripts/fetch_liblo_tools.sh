#!/usr/bin/env bash
# liblo-tools (oscsend, oscdump): an OSC peer that is not python-osc, for the protocol tests.
# Uses the system's when installed; else unpacks the Debian packages under DEST (no root).
#   scripts/fetch_liblo_tools.sh DEST
set -euo pipefail
dest=$1
if command -v oscsend >/dev/null && command -v oscdump >/dev/null; then exit 0; fi
if [ -x "$dest/usr/bin/oscsend" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download liblo-tools liblo7 >/dev/null 2>&1); then
  echo "liblo-tools: no Debian mirror reachable; the liblo test will be skipped" >&2
  exit 0
fi
mkdir -p "$dest"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest"; done
echo "$dest/usr/bin/oscsend"
