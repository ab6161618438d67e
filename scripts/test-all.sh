#!/usr/bin/env bash
# `npm test` after its type check (tsc --noEmit, first in package.json, so a type error stops it
# before anything else): the formatter check and the site build side by side, then the Debian
# packages the suites need, then every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
prettier --check . &
format=$!
npm run build --silent &
build=$!
failed=()
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
