#!/usr/bin/env bash
# The lowest Python that pyproject.toml's requires-python admits must install sfnsim and run it.
# When python3 is that version, the main CI install already proves it; otherwise the interpreter of
# that version is looked up (pythonX.Y, then pyenv) and a throwaway venv installs and runs the example.
set -euo pipefail
cd "$(dirname "$0")/.."
floor=$(python3 -c 'import re, tomllib; spec = tomllib.load(open("pyproject.toml", "rb"))["project"]["requires-python"]; print(re.search(r">=\s*(\d+\.\d+)", spec).group(1))')
current=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$current" = "$floor" ]; then
  echo "lowest supported Python ($floor) is python3 itself: the main install checks it"
  exit 0
fi
interpreter=$(command -v "python$floor" || ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$floor".*/bin/python 2>/dev/null | tail -n 1 || true)
if [ -z "$interpreter" ]; then
  echo "no Python $floor interpreter on this machine to check the lowest supported version with" >&2
  exit 1
fi
scratch=$(mktemp -d)
"$interpreter" -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q . 2>&1 | grep -v '^WARNING: Location' || true
"$scratch/venv/bin/sfnsim" run fixtures/examples/hello.asl.json --input-file fixtures/examples/hello.input.json --json >/dev/null
echo "sfnsim installs and runs on Python $floor ($interpreter)"
rm -rf "$scratch"
