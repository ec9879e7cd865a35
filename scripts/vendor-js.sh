#!/usr/bin/env bash
# Copies the QR decoder the offline verifier uses (jsQR, pinned in package.json) from
# node_modules into the static files, with its licence beside it. The copies are committed: the
# app serves them itself and never loads script from another site. Run after changing the pinned
# version (`make vendor-js`); tests/lookup/web/test_offline.py checks the copy matches.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f node_modules/jsqr/dist/jsQR.js ] || npm install --no-audit --no-fund --silent
out=lookup/web/static/offline/vendor
mkdir -p "$out"
cp node_modules/jsqr/dist/jsQR.js "$out/jsQR.js"
cp node_modules/jsqr/LICENSE "$out/jsQR.LICENSE"
echo "vendored jsQR $(node -p "require('./node_modules/jsqr/package.json').version") into $out"
