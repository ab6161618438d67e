#!/usr/bin/env bash
# The intake tests run Debian's Prometheus Alertmanager against a real Herald; nothing
# downloads Alertmanager any other way. Installs it with apt-get when missing (CI runs as root);
# otherwise says what to do.
set -euo pipefail
source "$(dirname "$0")/install-test-packages.sh"
ALERTMANAGER="${ALERTMANAGER_PATH:-/usr/bin/prometheus-alertmanager}"
if [ -x "$ALERTMANAGER" ]; then exit 0; fi
if install_test_packages 'intake tests need it' --no-install-recommends prometheus-alertmanager; then
  # The package starts a system Alertmanager on :9093; the tests run their own on free ports.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true; fi
  exit 0
fi
echo "Intake tests need Alertmanager at $ALERTMANAGER. Install it (sudo apt-get install prometheus-alertmanager) or set ALERTMANAGER_PATH." >&2
exit 1
