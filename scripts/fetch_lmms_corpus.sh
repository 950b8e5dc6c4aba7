#!/usr/bin/env bash
# Fetch Debian's lmms-common package and unpack its ~240 labelled samples into DEST/samples.
# Development corpus only: never committed. Needs apt-get (Debian/Ubuntu) and a package mirror.
set -euo pipefail
dest=${1:-.cache/lmms}
if [ -d "$dest/samples" ]; then echo "$dest/samples"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download lmms-common >/dev/null 2>&1)
dpkg -x "$work"/lmms-common_*.deb "$work/x"
mkdir -p "$dest"
cp -r "$work/x/usr/share/lmms/samples" "$dest/samples"
echo "$dest/samples"
