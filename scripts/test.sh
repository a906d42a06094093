#!/usr/bin/env bash
# Runs the test suite on 2 workers.
#
#   bash scripts/test.sh            the whole suite (what CI runs)
#   bash scripts/test.sh --quick    the quick lane: every test not marked slow (-m "not slow")
#
# Any other argument goes to pytest, e.g. `bash scripts/test.sh --quick tests/layers -x`.
# What "slow" means: pytest.ini's marker; where it is set: tests/conftest.py.
args=()
for arg in "$@"; do
    if [ "$arg" = "--quick" ]; then
        args+=(-m "not slow")
    else
        args+=("$arg")
    fi
done
source "$(dirname "$0")/env.sh"
exec python -m pytest -n 2 -q -rs "${args[@]}"
