#!/usr/bin/env bash
# The test command behind `make test`: servers up (reused when running), lint, the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
deploy/native/infra.sh up
eval "$(deploy/native/infra.sh env)"
export PYTHONPATH="$root"
echo "== ruff"
var/venv/bin/ruff check .
echo "== pytest"
set +e
var/venv/bin/python -m pytest tests "$@"
code=$?
set -e
if [ $code -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit $code
