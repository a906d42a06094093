"""Which cases of a parametrized test are slow: `SLOW_CASES`, applied by `conftest.py`.

A test marked `@pytest.mark.slow` is slow in all its cases. Where only some
cases of a parametrized test are slow (the larger images, the Diagonal
BiLSTM, RGB), those cases are listed here instead, so that the quick lane
keeps the small ones: at least one causality or exactness check of each
layer, grey and RGB. The tests of `tests/layers/` and `tests/analysis/` are
marked here too, whole or in part, so that their files stay as they are (the
receptive-field tests are not to be edited).

Each key is a test's node id without its case; each value is a tuple of
`fnmatch` patterns of case ids (what pytest shows between the brackets, ""
for a test that is not parametrized). `tests/test_lanes.py` checks that
every key still names a test.
"""

import fnmatch

SLOW_CASES = {
    # Layers: one exactness check per mask type, grey and RGB, stays quick.
    "tests/layers/test_diagonal_bilstm.py::test_exact_receptive_field": ("*-training", "*-7x5-*"),
    "tests/layers/test_diagonal_bilstm.py::"
    "test_training_loop_gives_the_same_outputs_and_gradients": (
        "skewed-map-*", "*-False-*", "*-True-3", "*-(4, 5)-*", "*-(1, 4)-*", "*-(4, 1)-*",
    ),
    "tests/layers/test_diagonal_bilstm.py::"
    "test_training_gradient_matches_finite_differences_of_the_numpy_reference": ("side-by-side-*",),
    "tests/layers/test_diagonal_bilstm.py::test_jit_compiled_step_matches": ("",),
    "tests/layers/test_conditioning.py::test_condition_leaves_the_receptive_field_exact": (
        "row_lstm-*", "diagonal_bilstm-*",
    ),
    "tests/layers/test_recurrence.py::"
    "test_row_lstm_trains_through_the_popped_loop_with_the_same_results": ("False-*",),
    "tests/layers/test_row_lstm.py::test_exact_receptive_field": ("k5-*", "*-7x5-*"),
    "tests/layers/test_row_lstm.py::test_jit_compiled_step_matches": ("",),
    # Stacks and the paper's figures.
    "tests/analysis/test_receptive_field.py::test_stack_field_is_the_composition_of_layer_fields": (
        "conv*",
    ),
    "tests/analysis/test_receptive_field.py::test_measured_row_lstm_field_is_the_papers_triangle": (
        "*",
    ),
    "tests/analysis/test_receptive_field.py::"
    "test_measured_diagonal_field_is_the_full_causal_context": ("7x5-*",),
    "tests/analysis/test_receptive_field.py::"
    "test_union_over_channels_equals_union_of_channel_fields": ("",),
    # Models: PixelCNN and grey cases stay quick.
    "tests/models/test_conditional.py::test_conditional_models_see_the_same_sub_pixels": (
        "row_lstm-*", "diagonal_bilstm-*", "*-rgb-*", "*-class_map", "*-small_images",
    ),
    "tests/models/test_conditional.py::test_cached_equals_naive_sampling_with_labels": (
        "diagonal_bilstm-*", "*-rgb-*", "*-one_hot",
    ),
    "tests/models/test_conditional.py::test_cached_equals_naive_sampling_with_a_conditioning_map": (
        "diagonal_bilstm-*", "*-rgb",
    ),
    "tests/models/test_conditional.py::test_logits_depend_on_the_condition": ("diagonal_bilstm",),
    "tests/models/test_pixel_rnn.py::test_built_models_are_causal": (
        "(0, 0)-*", "(4, 5)-*", "(4, 0)-*", "(0, 5)-*", "*-rgb-diagonal_bilstm",
    ),
    "tests/models/test_pixel_rnn.py::test_small_presets_build_and_run": ("mnist",),
    "tests/models/test_pixel_rnn.py::test_from_preset_builds_every_preset": ("mnist",),
    "tests/models/test_presets.py::test_shipped_weights_give_the_figure_of_their_card": (
        "mnist", "mnist_row_lstm",
    ),
    "tests/models/test_presets.py::test_other_overrides_still_load": ("smaller",),
    # Sampling: cached = naive for PixelCNN (grey, RGB) and Row LSTM (grey) stays quick.
    "tests/generation/test_sampling.py::test_cached_equals_naive": (
        "*-grey2-*", "*-rgb2-*", "row_lstm-rgb*", "diagonal_bilstm-*",
    ),
    "tests/generation/test_sampling.py::test_log_prob_of_the_draws": (
        "*-grey2-*", "*-rgb2-*", "row_lstm-rgb*", "diagonal_bilstm-*",
    ),
    # Data: the cases that read the MNIST subset.
    "tests/data/test_files.py::test_bad_data": ("mnist_5k_*",),
}


def is_slow(nodeid):
    """Whether `SLOW_CASES` lists the test case `nodeid` (e.g.
    "tests/layers/test_row_lstm.py::test_exact_receptive_field[k5-A-c1-5x7-inference]")."""
    test, _, case = nodeid.partition("[")
    case = case[:-1] if case.endswith("]") else case
    return any(fnmatch.fnmatchcase(case, pattern) for pattern in SLOW_CASES.get(test, ()))
