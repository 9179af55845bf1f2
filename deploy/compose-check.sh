#!/usr/bin/env bash
# Validates docker-compose.yml: `docker compose config` where the plugin exists, else a YAML check of
# what we promise (healthchecks, depends_on service_healthy, no container_name).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if docker compose version >/dev/null 2>&1; then
  LICHENG_RABBIT_PASSWORD=x LICHENG_S3_ACCESS_KEY=x LICHENG_S3_SECRET_KEY=x LICHENG_JWT_SECRET=x LICHENG_FIELD_KEY=x LICHENG_RABBIT_COOKIE=x \
    LICHENG_NATIONAL_SECRET=x LICHENG_NATIONAL_ADMIN_TOKEN=x \
    docker compose config --quiet && echo "docker compose config: ok"
fi
var/venv/bin/python -m pytest -q tests/test_compose.py
