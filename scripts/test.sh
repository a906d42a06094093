#!/usr/bin/env bash
# Runs the whole test suite (what CI runs).
source "$(dirname "$0")/env.sh"
exec python -m pytest -n 2 -q "$@"
