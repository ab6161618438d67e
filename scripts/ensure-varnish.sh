#!/usr/bin/env bash
# Edge tests run Debian's Varnish (with the xkey vmod from varnish-modules) in front of a real
# Herald; nothing downloads Varnish any other way. Installs both with apt-get when missing
# (CI runs as root); otherwise says what to do.
set -euo pipefail
source "$(dirname "$0")/install-test-packages.sh"
VARNISHD="${VARNISHD_PATH:-/usr/sbin/varnishd}"
if [ -x "$VARNISHD" ] && ls /usr/lib/*/varnish/vmods/libvmod_xkey.so >/dev/null 2>&1; then exit 0; fi
if install_test_packages 'edge tests need them' --no-install-recommends varnish varnish-modules; then
  # The package starts a system varnishd on :6081; the tests run their own on free ports.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now varnish >/dev/null 2>&1 || true; fi
  exit 0
fi
echo "Edge tests need varnishd at $VARNISHD and the xkey vmod. Install them (sudo apt-get install varnish varnish-modules) or set VARNISHD_PATH." >&2
exit 1
