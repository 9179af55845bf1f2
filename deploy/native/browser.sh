#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when missing (Playwright drives it through
# executable_path; its own browser download cannot work on these machines).
set -euo pipefail
# fonts-noto-cjk: without a CJK font, screenshots of zh-TW pages show empty boxes.
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
  echo "installing chromium and CJK fonts (Debian) for the browser tests..."
  [ "$(id -u)" = 0 ] || { echo "need root to apt-get install chromium" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
