#!/usr/bin/env bash
# Run the whole test suite, including the real headless-Chromium browser tests.
source "$(dirname "$0")/_env.sh"
# Debian's chromium for the browser tests; poppler-utils (pdftoppm, pdftotext) to read printed PDFs back.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian chromium and poppler-utils for the tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
  else
    echo "The tests need Debian's chromium and poppler-utils: sudo apt-get install chromium poppler-utils" >&2
    exit 1
  fi
fi
# axe-core for the accessibility scan, as pinned in tests/browser/package-lock.json (npm ci: that exact version).
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      echo "Installing Debian npm for the accessibility scan..."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    else
      echo "The accessibility scan needs npm: sudo apt-get install npm" >&2
      exit 1
    fi
  fi
  npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
