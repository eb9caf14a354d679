#!/usr/bin/env bash
# Test-only system pieces: Debian's Chromium (and a CJK font, so screenshots show Chinese) for the
# Playwright page tests, and axe-core (npm)
# for accessibility checks. Nothing here is shipped with the app.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (page tests need it)" >&2
    exit 1
  fi
fi
if [ ! -f tests/.node/node_modules/axe-core/axe.min.js ]; then
  mkdir -p tests/.node
  npm install --silent --no-audit --no-fund --prefix tests/.node axe-core@4 >/dev/null 2>&1 \
    || echo "axe-core could not be installed; accessibility checks will be skipped" >&2
fi
