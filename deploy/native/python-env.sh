#!/usr/bin/env bash
# Creates var/venv with the pinned dependency set (requirements.lock). Python 3.11 is required.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python=${LICHENG_PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "Python 3.11 is required (set LICHENG_PYTHON)" >&2; exit 1; }
[ -x var/venv/bin/python ] || "$python" -m venv var/venv
var/venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
