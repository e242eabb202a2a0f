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
exec .venv/bin/python -m pytest "$@"
