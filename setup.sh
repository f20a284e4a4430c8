#!/usr/bin/env bash
# Set-up on a fresh Debian machine with Python 3.11 (run as root): the Debian
# packages the reports need (Chromium's headless shell for PDF, Chromium to look at
# pages, a Chinese font, poppler for the PDF checks), then a virtual environment in .venv with kpilib and its
# dependencies from pyproject.toml. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(chromium chromium-headless-shell fonts-wqy-microhei poppler-utils)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: installing ${missing[*]} needs root; run: sudo bash setup.sh" >&2
    exit 1
  fi
  echo "setup.sh: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.kpilib-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup.sh: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
echo "setup.sh: ready (.venv/bin/kpi --help)"
