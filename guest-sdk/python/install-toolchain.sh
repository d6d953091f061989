#!/usr/bin/env bash
# Installs componentize-py 0.25.1 (from PyPI, with pip --target) into
# $BINDERY_COMPONENTIZE_PY (default ~/.cache/bindery/componentize-py), the
# directory guest-sdk/python/build.sh looks in. Does nothing when that
# version is already there. Needs python3 >= 3.10 with pip (installs
# python3-pip from Debian when pip is missing and apt-get is there).
set -euo pipefail
want=0.25.1
dir=${BINDERY_COMPONENTIZE_PY:-$HOME/.cache/bindery/componentize-py}
if [ -x "$dir/bin/componentize-py" ] && [ "$(PYTHONPATH=$dir "$dir/bin/componentize-py" --version 2>/dev/null)" = "componentize-py $want" ]; then
  exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends python3-pip
  fi
fi
rm -rf "$dir"
python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$dir" "componentize-py==$want"
PYTHONPATH=$dir "$dir/bin/componentize-py" --version
