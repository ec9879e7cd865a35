#!/usr/bin/env bash
# Installs the system packages the test suite drives for real: Debian's Chromium (Playwright
# uses it; no browser download), redis-server (shared rate limits), the zbar QR decoder, a JDK
# and Maven (the live Elasticsearch node), GDAL's ogrinfo (opens the OFM GeoJSON exports as a
# GIS tool would), and
# from the npm registry axe-core (accessibility checks) and jsQR (the test compares the vendored
# copy with it). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || need+=(libzbar0)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# A JDK and Maven run the live Elasticsearch node (scripts/elasticsearch.sh).
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
# scripts/elasticsearch.sh asks the node whether it is ready.
command -v curl >/dev/null 2>&1 || need+=(curl)
fonts_ok=$(fc-list 2>/dev/null | grep -ci dejavu || true)
[ "${fonts_ok:-0}" -gt 0 ] || need+=(fonts-dejavu-core)

if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/jsqr/dist/jsQR.js ]; then
    npm install --no-audit --no-fund --silent
fi
