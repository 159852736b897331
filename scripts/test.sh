#!/usr/bin/env bash
# Installs everything, starts the services, and runs lint, typecheck and the whole test suite
# (unit, integration against the real services, end to end). Ends with "N passed, M failed".
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
eval "$(bash scripts/services.sh env)"

step "Lint and typecheck"
pnpm turbo run lint typecheck --output-logs=errors-only

step "Tests"
results=.data/test-results.json
rm -f "$results"
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$results" || status=$?
if [[ ! -s "$results" ]]; then
  echo "test.sh: the test runner produced no results" >&2
  exit 1
fi
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) process.exit(1);' "$results" || status=1
if [[ "$status" -ne 0 ]]; then
  echo "test.sh: FAILED (vitest exit $status; a failure outside any test, such as an unhandled error, is listed above)" >&2
fi
exit "$status"
