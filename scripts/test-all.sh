#!/usr/bin/env bash
# `npm test`: the type check, the formatter check and the site build side by side (on two cores
# they take about the time of the formatter check alone), then the Debian packages the suites
# need, then every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc --noEmit &
types=$!
prettier --check . &
format=$!
npm run build --silent &
build=$!
failed=()
wait "$types" || failed+=('the type check (tsc --noEmit)')
wait "$format" || failed+=('the formatter check (prettier --check .; npx prettier --write . fixes it)')
wait "$build" || failed+=('the site build (npm run build)')
if ((${#failed[@]})); then
  printf 'npm test stopped before the suites; failed (see above):\n' >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
bash scripts/ensure-chromium.sh
bash scripts/ensure-varnish.sh
bash scripts/ensure-alertmanager.sh
exec vitest run
