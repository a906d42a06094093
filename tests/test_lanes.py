"""The quick lane's list of slow cases (`lanes.SLOW_CASES`) still names the tests it marks."""

import os
import re

import pytest

import lanes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    "test", sorted(lanes.SLOW_CASES), ids=lambda test: test.rpartition("/")[2]
)
def test_slow_cases_name_a_test_that_exists(test):
    """A renamed or moved test would silently come back into the quick lane."""
    path, _, name = test.partition("::")
    with open(os.path.join(ROOT, path)) as f:
        assert re.search(rf"^def {name}\(", f.read(), re.MULTILINE), f"{test} is not defined"


def test_is_slow_reads_the_case_between_the_brackets():
    layer = "tests/layers/test_row_lstm.py::test_exact_receptive_field"
    assert lanes.is_slow(f"{layer}[k5-A-c1-5x7-inference]")
    assert lanes.is_slow(f"{layer}[k3-A-c1-7x5-training]")
    assert not lanes.is_slow(f"{layer}[k3-A-c1-5x7-training]")
    assert lanes.is_slow("tests/layers/test_diagonal_bilstm.py::test_jit_compiled_step_matches")
    assert not lanes.is_slow("tests/layers/test_row_lstm.py::test_matches_numpy_reference[k5]")
