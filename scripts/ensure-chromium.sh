#!/usr/bin/env bash
# Browser tests drive Debian's chromium through playwright-core; nothing downloads a browser.
# Installs it with apt-get when missing (CI runs as root); otherwise says what to do.
set -euo pipefail
source "$(dirname "$0")/install-test-packages.sh"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if install_test_packages 'browser tests need it' chromium; then exit 0; fi
echo "Browser tests need chromium at $CHROMIUM. Install it (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
exit 1
