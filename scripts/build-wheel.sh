#!/usr/bin/env bash
# Build the `aicost` command as a Python wheel (maturin, `bin` bindings) into target/wheels/.
#
#   scripts/build-wheel.sh                      a wheel for this machine
#   scripts/build-wheel.sh --compatibility manylinux_2_28 --zig   a portable Linux wheel
#
# Extra arguments go to `maturin build`. Needs maturin (`pipx install maturin` or
# `pip install maturin`); the wheel needs nothing at run time but the binary it carries.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v maturin >/dev/null 2>&1; then
  echo "build-wheel: maturin is not installed (pip install maturin)" >&2
  exit 2
fi
maturin build --release --locked --out target/wheels "$@"
ls -1 target/wheels/aicost_forecast-*.whl
