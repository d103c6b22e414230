#!/usr/bin/env bash
# Installs Python packages into a folder of their own (used with PYTHONPATH), once.
# Usage: install-pip-target.sh DIR REQUIREMENT...   e.g. .build-python/trestle compliance-trestle==5.2.0
set -euo pipefail
dir=$1; shift
stamp="$dir/.installed"
want="$*"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "error: python3 is needed by the tests" >&2; exit 1; }
echo "Installing into $dir: $want"
rm -rf "$dir"
for attempt in 1 2 3; do
  if "$PY" -m pip install -q --target "$dir" "$@"; then
    echo "$want" > "$stamp"
    exit 0
  fi
  echo "pip install failed (attempt $attempt); retrying in 5 s" >&2
  rm -rf "$dir"
  sleep 5
done
echo "error: could not install $want into $dir" >&2
exit 1
