#!/usr/bin/env bash
# The whole suite: type-check, lint (eslint incl. the workflow-determinism rule, ruff), vitest against a
# real Temporal dev server (started by tests/global-setup.ts), pytest for the gpu-worker.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

echo "== tsc --noEmit"
npx tsc --noEmit -p .
echo "== eslint"
npx eslint .
echo "== ruff"
.venv/bin/ruff check gpu-worker
echo "== vitest"
npx vitest run
if [[ -d gpu-worker/tests ]]; then
  echo "== pytest gpu-worker"
  .venv/bin/pytest -q gpu-worker/tests
fi
