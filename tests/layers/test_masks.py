import re

import numpy as np
import pytest

import numpy_reference as ref
from keras_pixelrnn.layers.masks import causal_mask, color_groups

MASK_CASES = {
    "7x7_A_rgb": ((7, 7), 3, 6, "A", 3),
    "7x7_A_grey": ((7, 7), 1, 4, "A", 1),
    "3x3_B_rgb": ((3, 3), 6, 9, "B", 3),
    "3x3_B_grey": ((3, 3), 2, 3, "B", 1),
    "1x3_A_rgb": ((1, 3), 3, 12, "A", 3),
    "1x3_B_grey": ((1, 3), 4, 8, "B", 1),
    "3x1_A_grey": ((3, 1), 1, 2, "A", 1),
    "3x1_B_rgb": ((3, 1), 6, 6, "B", 3),
    "1x1_A_rgb": ((1, 1), 3, 12, "A", 3),
    "1x1_B_rgb": ((1, 1), 6, 12, "B", 3),
    "1x1_B_grey": ((1, 1), 3, 4, "B", 1),
    "5x3_A_rgb": ((5, 3), 9, 3, "A", 3),
}


@pytest.mark.parametrize("case", MASK_CASES.values(), ids=MASK_CASES.keys())
def test_causal_mask_equals_pixel_by_pixel_reference(case):
    kernel_size, cin, cout, mask_type, colors = case
    mask = causal_mask(kernel_size, cin, cout, mask_type, colors)
    assert mask.dtype == np.float32
    assert mask.shape == kernel_size + (cin, cout)
    np.testing.assert_array_equal(mask, ref.mask(*kernel_size, cin, cout, mask_type, colors))


HAND_WRITTEN = {
    # (kernel_size, mask_type): taps of a one-colour, one-channel mask.
    "3x3_A": ((3, 3), "A", [[1, 1, 1], [1, 0, 0], [0, 0, 0]]),
    "3x3_B": ((3, 3), "B", [[1, 1, 1], [1, 1, 0], [0, 0, 0]]),
    "1x3_A": ((1, 3), "A", [[1, 0, 0]]),
    "1x3_B": ((1, 3), "B", [[1, 1, 0]]),
    "3x1_A": ((3, 1), "A", [[1], [0], [0]]),
    "3x1_B": ((3, 1), "B", [[1], [1], [0]]),
    "1x5_B": ((1, 5), "B", [[1, 1, 1, 0, 0]]),
}


@pytest.mark.parametrize("case", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_mask_centre_uses_both_axes(case):
    kernel_size, mask_type, taps = case
    mask = causal_mask(kernel_size, 1, 1, mask_type, 1)
    np.testing.assert_array_equal(mask[..., 0, 0], np.array(taps, np.float32))


@pytest.mark.parametrize(
    "mask_type, centre",
    [
        # rows: input groups R, G, B; columns: output groups R, G, B
        ("A", [[0, 1, 1], [0, 0, 1], [0, 0, 0]]),
        ("B", [[1, 1, 1], [0, 1, 1], [0, 0, 1]]),
    ],
    ids=["A", "B"],
)
def test_rgb_centre_with_contiguous_groups(mask_type, centre):
    mask = causal_mask((3, 3), 6, 3, mask_type, 3)
    # Input channels 0-1 are R, 2-3 G, 4-5 B (contiguous, not interleaved).
    expected = np.repeat(np.array(centre, np.float32), 2, axis=0)
    np.testing.assert_array_equal(mask[1, 1], expected)
    np.testing.assert_array_equal(mask[0], 1.0)
    np.testing.assert_array_equal(mask[1, 0], 1.0)
    np.testing.assert_array_equal(mask[1, 2], 0.0)
    np.testing.assert_array_equal(mask[2], 0.0)


@pytest.mark.parametrize(
    "channels, colors, groups",
    [(6, 3, [0, 0, 1, 1, 2, 2]), (3, 3, [0, 1, 2]), (4, 1, [0, 0, 0, 0])],
    ids=["6_rgb", "3_rgb", "4_grey"],
)
def test_color_groups_are_contiguous(channels, colors, groups):
    np.testing.assert_array_equal(color_groups(channels, colors), groups)


BAD_MASKS = {
    "even_height": (dict(kernel_size=(2, 3)), "kernel_size=(2, 3)"),
    "even_width": (dict(kernel_size=(3, 4)), "kernel_size=(3, 4)"),
    "zero": (dict(kernel_size=(0, 3)), "kernel_size=(0, 3)"),
    "negative": (dict(kernel_size=(3, -1)), "kernel_size=(3, -1)"),
    "mask_C": (dict(mask_type="C"), "mask_type='C'"),
    "A_1x1_grey": (dict(kernel_size=(1, 1), mask_type="A"), "mask_type='A'"),
    "in_not_divisible": (dict(in_channels=4, color_channels=3), "channels=4"),
    "out_not_divisible": (dict(out_channels=5, color_channels=3), "channels=5"),
    "zero_colors": (dict(color_channels=0), "color_channels=0"),
}


@pytest.mark.parametrize("case", BAD_MASKS.values(), ids=BAD_MASKS.keys())
def test_bad_mask_arguments(case):
    overrides, echo = case
    args = dict(
        kernel_size=(3, 3), in_channels=3, out_channels=6, mask_type="B", color_channels=1
    )
    args.update(overrides)
    with pytest.raises(ValueError, match=re.escape(echo)):
        causal_mask(**args)
