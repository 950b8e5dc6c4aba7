#!/usr/bin/env bash
# Fetch Debian packages of samples and unpack them under DEST/<package>/ (never committed).
#   scripts/fetch_debian_samples.sh DEST PACKAGE...
# lmms-common is the development/test corpus; hydrogen-drumkits, hydrogen-data,
# avldrums.lv2-soundfont, fluid-soundfont-gm, sonic-pi-samples and timgm6mb-soundfont are the
# training material of the shipped category model. Needs apt-get,
# dpkg and a Debian mirror.
set -euo pipefail
dest=$1
shift
for package in "$@"; do
  if [ -d "$dest/$package" ]; then echo "$dest/$package"; continue; fi
  work=$(mktemp -d)
  (cd "$work" && apt-get download "$package" >/dev/null 2>&1)
  dpkg -x "$work"/"${package}"_*.deb "$work/x"
  mkdir -p "$dest/$package"
  cp -r "$work/x/usr/share/." "$dest/$package/"
  rm -rf "$work"
  echo "$dest/$package"
done
