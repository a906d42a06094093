"""
Title: What one PixelRNN layer sees: Row LSTM, Diagonal BiLSTM and PixelCNN
Description: Draw the receptive field of one pixel for a Row LSTM, a Diagonal
BiLSTM and a stack of masked convolutions, and see the triangle, the full
context and the blind spot of section 3 of the paper.

An autoregressive image model predicts pixel `(i, j)` from the pixels before
it in raster order: every pixel of the rows above, and the pixels to its left
on its own row. How much of that *context* a layer actually sees is what tells
the three architectures of "Pixel Recurrent Neural Networks" (van den Oord et
al., 2016) apart. This example measures it, with
`keras_pixelrnn.analysis.receptive_field`, and draws the three maps side by side.

Run: `python examples/receptive_field.py [--out docs/receptive_fields.png]`
(a few seconds on a CPU).
"""

"""
## Setup
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
try:
    import matplotlib
except ImportError as error:
    raise ImportError(
        "This example draws with matplotlib, which the demo extra installs: "
        'pip install "keras-pixelrnn[demo]"'
    ) from error

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from keras_pixelrnn import DiagonalBiLSTM, MaskedConv2D, RowLSTM, receptive_field  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().split("\n")[0])
parser.add_argument("--out", default="docs/receptive_fields.png", help="PNG to write")
parser.add_argument("--size", type=int, default=11, help="image height and width")
parser.add_argument(
    "--conv-layers",
    type=int,
    help="masked 3x3 convolutions (default: enough to reach the top row)",
)
args = parser.parse_args()

height = width = args.size
pixel = (height - 3, width // 2)  # low in the image, so the fields have room to grow
conv_layers = args.conv_layers or pixel[0]
keras.utils.set_random_seed(0)

"""
## How a receptive field is measured

`receptive_field(layer, (H, W, C), pixel)` differentiates the layer's output at
`pixel` with respect to every input sub-pixel, for random inputs and the
layer's random initial weights. A masked or absent connection gives a gradient
of exactly zero; a real one is non-zero (a random gradient vanishing exactly is
vanishingly unlikely). The result is a boolean map of the input: the pixels the
output at `pixel` can depend on.

Each map below is for ONE layer applied to a one-channel image. The PixelCNN
panel is a stack, since a single 3x3 convolution sees almost nothing: as many
layers as it takes to reach the top row, so that what it still misses is
missed for good. The two recurrent layers keep their default mask B (the mask
of every layer after the first), so the target pixel is in their own field; in
a full model the first layer's mask A has already removed it, and nothing of
the value being predicted gets through.
"""


def row_lstm_field():
    return receptive_field(RowLSTM(8), (height, width, 1), pixel)


def diagonal_bilstm_field():
    return receptive_field(DiagonalBiLSTM(8), (height, width, 1), pixel)


def pixel_cnn_field(layers):
    stack = keras.Sequential(
        [keras.Input((height, width, 1)), MaskedConv2D(8, 3, mask_type="A")]
        + [MaskedConv2D(8, 3, mask_type="B") for _ in range(layers - 1)]
    )
    return receptive_field(stack, (height, width, 1), pixel)


"""
## The Row LSTM sees a triangle

The Row LSTM computes a whole row per step. Its input-to-state part is a
`1 x 3` masked convolution along row `i` (mask B: columns `j - 1` and `j`); its
state-to-state part is a `1 x 3` convolution over the previous row's hidden
state `h_{i-1}`, zero-padded at both ends so that every row keeps its full
width. So `h_i[j]` reads `h_{i-1}[j-1 .. j+1]`, which read `h_{i-2}[j-2 .. j+2]`,
and so on: going up one row widens the field by one column on each side. Row
`i - r` is seen at columns `j - r - 1 .. j + r`, clipped at the borders: a
triangle with its apex on the target pixel.

The triangle does not come from convolutions dropping the pixels at the ends
of a row: nothing is dropped, every row keeps its width. It comes from the
receptive field growing by one column per row upwards. What it misses is the
context beside the apex: the start of row `i` and the far ends of the rows just
above, pixels close to `(i, j)` that matter for predicting it. Stacking Row
LSTMs extends the field to the left (each masked input-to-state convolution
reaches one column further left on every row), but never past the diagonal
`(i - r, j + r)` on the right: that wedge stays unseen however deep the stack,
like the PixelCNN's blind spot below.

## The Diagonal BiLSTM sees everything

The Diagonal BiLSTM skews the map so that each diagonal of the image becomes a
column, and computes one diagonal per step. The state at `(r, c)` reads the
states at `(r, c - 1)` (left) and `(r - 1, c)` (above), both on the previous
diagonal. By induction it has seen every pixel up and to the left of it: the
whole rectangle `[0, r] x [0, c]`. A second LSTM runs right to left on the
mirrored image and sees up and to the right; its output is shifted down one
row before the two are added, so row `i` gets the right-to-left summary of rows
`< i` only (its own row to the right is the future). Together: every pixel of
every row above and every pixel to the left on row `i`. One layer already sees
the whole causal context.

## A stack of masked convolutions has a blind spot

A `3 x 3` masked convolution at `(i, j)` reads three pixels of the row above
and the pixel to its left (plus, with mask B, itself). Stacking `L` of them
grows the field `L` rows up and `L` columns left, and up-right along the
diagonal `(i - r, j + r)`, but never to the right of that diagonal: the pixel
at `(i - 1, j + 2)` could only be reached through `(i, j + 1)` (the future) or
through a pixel to its own right on row `i - 1`, which no mask allows. That
wedge of unseen context is the PixelCNN's blind spot, which the Gated PixelCNN
later fixed with two stacks.
"""

fields = [
    ("Row LSTM, 1 layer:\na triangle", row_lstm_field()),
    ("Diagonal BiLSTM, 1 layer:\nthe whole context", diagonal_bilstm_field()),
    (
        f"PixelCNN, {conv_layers} masked 3x3 convs\n"
        f"(1 mask A + {conv_layers - 1} mask B): a blind spot",
        pixel_cnn_field(conv_layers),
    ),
]

"""
## Sanity: nothing from the future

Whatever the architecture, no output may depend on a pixel after it in raster
order. The maps make that checkable at a glance; here it is also asserted.
"""

rows, cols = np.mgrid[:height, :width]
i, j = pixel
past = (rows < i) | ((rows == i) & (cols < j))
target = (rows == i) & (cols == j)
future = ~past & ~target
for title, field in fields:
    seen = field[..., 0]
    assert not (seen & future).any(), f"{title!r} sees the future"
    name = title.splitlines()[0].rstrip(":")
    print(f"{name:<30} sees {int((seen & past).sum()):3d} of {int(past.sum())} earlier pixels")

"""
## Drawing

Four kinds of cell: the context the layer sees, the context it misses (earlier
pixels outside the field), the future (not allowed), and the target pixel.
"""

SEEN, MISSED, FUTURE, TARGET = 0, 1, 2, 3
colors = ["#3b6fb6", "#f4a582", "#f2f2f2", "#d7301f"]
labels = [
    "earlier pixel, seen",
    "earlier pixel, missed",
    "later pixel (the future)",
    "target pixel",
]

figure, axes = plt.subplots(1, 3, figsize=(13.5, 5.9))
for axis, (title, field) in zip(axes, fields):
    seen = field[..., 0]
    kind = np.full((height, width), FUTURE)
    kind[past & seen] = SEEN
    kind[past & ~seen] = MISSED
    kind[target] = TARGET
    axis.imshow(kind, cmap=ListedColormap(colors), vmin=0, vmax=3)
    axis.add_patch(
        Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.5)
    )
    axis.set_xticks(np.arange(-0.5, width), minor=True)
    axis.set_yticks(np.arange(-0.5, height), minor=True)
    axis.grid(which="minor", color="white", linewidth=1.5)
    axis.tick_params(which="both", length=0)
    axis.set_xticks(range(0, width, 2))
    axis.set_yticks(range(0, height, 2))
    axis.set_title(title, fontsize=12.5)
    missed = int((past & ~seen).sum())
    axis.set_xlabel(f"misses {missed} of {int(past.sum())} earlier pixels", fontsize=11.5)
axes[0].set_ylabel("row", fontsize=11.5)
figure.legend(
    handles=[Patch(facecolor=c, edgecolor="#999999", label=t) for c, t in zip(colors, labels)],
    loc="lower center",
    bbox_to_anchor=(0.5, 0.0),
    ncol=4,
    frameon=False,
    fontsize=11,
)
figure.suptitle(
    f"Receptive field of output pixel {pixel}, image of {height} x {width} pixels",
    fontsize=14,
)
figure.tight_layout(rect=(0, 0.07, 1, 0.98))
os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
figure.savefig(args.out, dpi=110)
print(f"wrote {args.out}")
