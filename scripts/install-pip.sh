#!/usr/bin/env bash
# Installs Python packages the tests use when they are not importable yet.
# Usage: install-pip.sh MODULE=PACKAGE...   e.g. awscli=awscli moto.server=moto[server]
set -euo pipefail
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "error: python3 is needed by the tests" >&2; exit 1; }
missing=()
for spec in "$@"; do
  module=${spec%%=*}; package=${spec#*=}
  "$PY" -c "import $module" 2>/dev/null || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Python packages: ${missing[*]}"
for attempt in 1 2 3; do
  if "$PY" -m pip install -q "${missing[@]}" 2>/dev/null || "$PY" -m pip install -q --break-system-packages "${missing[@]}"; then
    exit 0
  fi
  echo "pip install failed (attempt $attempt); retrying in 5 s" >&2
  sleep 5
done
echo "error: could not install ${missing[*]}" >&2
exit 1
