#!/usr/bin/env bash
# Generates this local run's secrets once into var/secrets.env (git-ignored); never overwrites one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
file="$root/var/secrets.env"
mkdir -p "$root/var"
touch "$file"
chmod 600 "$file"

add() {  # add NAME VALUE, unless NAME is already there
  grep -q "^export $1=" "$file" || echo "export $1=$2" >>"$file"
}
rand() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }

add LICHENG_JWT_SECRET "$(rand 48)"
add LICHENG_FIELD_KEY "$(python3 -c 'import base64,secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')"
add LICHENG_DEMO_PASSWORD "Demo-$(rand 6)"
add LICHENG_NATIONAL_SECRET "$(rand 32)"  # the national simulator derives each school's credentials from it
