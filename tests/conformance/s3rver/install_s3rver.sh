#!/usr/bin/env bash
# Installs the pinned s3rver (package.json and package-lock.json beside this script: s3rver 3.7.1
# and every dependency by version and integrity hash) with npm into DEST, a cache folder in the
# build tree. Does nothing when DEST already holds this lock's install. Needs node and npm
# (scripts/setup) and the npm registry. Usage: install_s3rver.sh DEST
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: install_s3rver.sh DEST}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_s3rver: $tool not found; run scripts/setup (Debian's nodejs and npm)" >&2
    exit 1
  fi
done

mkdir -p "$dest"
if [ -x "$dest/node_modules/.bin/s3rver" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  echo "install_s3rver: s3rver already installed in $dest"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
# npm's own cache stays in the build tree too (HOME may be read-only or shared).
(cd "$dest" && npm ci --no-audit --no-fund --cache "$dest/.npm-cache" --loglevel=error)
version="$(node -p 'require(process.argv[1]).version' "$dest/node_modules/s3rver/package.json")"
echo "install_s3rver: s3rver $version installed in $dest"
