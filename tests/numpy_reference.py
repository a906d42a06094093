"""An independent plain-NumPy PixelRNN, written from docs/PAPER.md and the weight layout.

Nothing here imports `keras_pixelrnn`: every function is written out with
explicit loops over pixels, in original image coordinates, so that the
package's vectorised TensorFlow (skewing, padding tricks, while loops) is
checked against a second, deliberately naive, implementation.

Conventions (PAPER.md, section 3.4 and keras_pixelrnn/pixel_lstm_cell.py):

* `n` channels split into `colors` contiguous groups: channel `ch` is in
  group `ch // (n // colors)`.
* Mask: a tap before the kernel centre in raster order sees every input
  channel, a tap after it sees nothing; at the centre output group `g` sees
  input groups `< g` (mask A) or `<= g` (mask B).
* LSTM pre-activations `4h` are colour-major: reshaped to
  `(colors, 4, h // colors)` they are `[colour group, gate (o, f, i, g), unit]`.
"""

import numpy as np


def group_of(channel, channels, colors):
    """Colour group of `channel` among `channels` contiguous groups."""
    return channel // (channels // colors)


def center_sees(in_group, out_group, mask_type):
    """Whether the kernel centre connects input group to output group."""
    if mask_type == "A":
        return in_group < out_group
    if mask_type == "B":
        return in_group <= out_group
    raise ValueError(mask_type)


def mask(kh, kw, cin, cout, mask_type, colors):
    """The 0/1 kernel mask `(kh, kw, cin, cout)`, one tap and channel pair at a time."""
    m = np.zeros((kh, kw, cin, cout), np.float32)
    ci, cj = kh // 2, kw // 2
    for a in range(kh):
        for b in range(kw):
            for p in range(cin):
                for q in range(cout):
                    if (a, b) < (ci, cj):  # raster order: before the centre
                        m[a, b, p, q] = 1.0
                    elif (a, b) == (ci, cj):
                        m[a, b, p, q] = center_sees(
                            group_of(p, cin, colors), group_of(q, cout, colors), mask_type
                        )
    return m


def masked_conv2d(x, kernel, bias, mask_type, colors):
    """`x (B, H, W, cin)`, `kernel (kh, kw, cin, cout)`, `bias (cout,)` or None.

    'same' zero padding, stride 1: output `(B, H, W, cout)`.
    """
    x = np.asarray(x, np.float64)
    kh, kw, cin, cout = kernel.shape
    k = np.asarray(kernel, np.float64) * mask(kh, kw, cin, cout, mask_type, colors)
    batch, height, width, _ = x.shape
    out = np.zeros((batch, height, width, cout))
    for n in range(batch):
        for i in range(height):
            for j in range(width):
                acc = np.zeros(cout) if bias is None else np.array(bias, np.float64)
                for a in range(kh):
                    for b in range(kw):
                        r, c = i + a - kh // 2, j + b - kw // 2
                        if 0 <= r < height and 0 <= c < width:
                            acc = acc + x[n, r, c] @ k[a, b]
                out[n, i, j] = acc
    return out


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_update(z, c_prev, colors):
    """One pixel: pre-activations `z (4h,)` with bias, `c_prev (h,)` -> `(h, c)`."""
    units = c_prev.shape[0]
    z = z.reshape(colors, 4, units // colors)
    o, f, i, g = sigmoid(z[:, 0]), sigmoid(z[:, 1]), sigmoid(z[:, 2]), np.tanh(z[:, 3])
    c_prev = c_prev.reshape(colors, units // colors)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h.reshape(units), c.reshape(units)


def condition_bias(condition, kernel, height, width):
    """A condition's 1x1 projection on every pixel, `(B, H, W, f)`: a vector
    `(B, d)` is the same everywhere, a map `(B, H, W, d)` is per pixel."""
    condition = np.asarray(condition, np.float64)
    kernel = np.asarray(kernel, np.float64)
    out = np.zeros((condition.shape[0], height, width, kernel.shape[1]))
    for n in range(condition.shape[0]):
        for i in range(height):
            for j in range(width):
                d = condition[n] if condition.ndim == 2 else condition[n, i, j]
                out[n, i, j] = d @ kernel
    return out


def row_lstm(x, Kis, Kss, bias, mask_type, colors, extra=None):
    """Row LSTM, one row after another and one pixel after another.

    `Kis (1, k, cin, 4h)` masked, no bias; `Kss (k, h, 4h)`: tap `t` reads
    `h_{i-1}` at column `j - k//2 + t` (zero outside); `bias (4h,)`;
    the cell state comes from `c_{i-1}[j]`. `extra (B, H, W, 4h)`: a
    condition's bias on the input-to-state pre-activations.
    """
    k, units = Kss.shape[0], Kss.shape[1]
    Kss = np.asarray(Kss, np.float64)
    z_in = masked_conv2d(x, Kis, None, mask_type, colors)
    if extra is not None:
        z_in = z_in + extra
    batch, height, width, _ = z_in.shape
    h = np.zeros((batch, height, width, units))
    c = np.zeros((batch, height, width, units))
    for n in range(batch):
        for i in range(height):
            for j in range(width):
                z = z_in[n, i, j] + np.asarray(bias, np.float64)
                c_prev = np.zeros(units)
                if i > 0:
                    c_prev = c[n, i - 1, j]
                    for t in range(k):
                        col = j - k // 2 + t
                        if 0 <= col < width:
                            z = z + h[n, i - 1, col] @ Kss[t]
                h[n, i, j], c[n, i, j] = lstm_update(z, c_prev, colors)
    return h


def diagonal_lstm(x, Kis, Kss, bias, mask_type, colors, extra=None):
    """One left-to-right diagonal LSTM in original coordinates (no skewing).

    State at `(r, c)` from `z(r, c)`, `h(r-1, c) @ Kss[0]`, `h(r, c-1) @ Kss[1]`,
    bias, and the cell state at `(r, c-1)`; neighbours outside the image are 0.
    `extra (B, H, W, 4h)`: a condition's bias on `z`.
    """
    units = Kss.shape[1]
    Kss = np.asarray(Kss, np.float64)
    z_in = masked_conv2d(x, Kis, None, mask_type, colors)
    if extra is not None:
        z_in = z_in + extra
    batch, height, width, _ = z_in.shape
    h = np.zeros((batch, height, width, units))
    c = np.zeros((batch, height, width, units))
    zero = np.zeros(units)
    for n in range(batch):
        for r in range(height):
            for col in range(width):
                above = h[n, r - 1, col] if r > 0 else zero
                left = h[n, r, col - 1] if col > 0 else zero
                c_left = c[n, r, col - 1] if col > 0 else zero
                z = z_in[n, r, col] + above @ Kss[0] + left @ Kss[1] + bias
                h[n, r, col], c[n, r, col] = lstm_update(z, c_left, colors)
    return h


def diagonal_bilstm(x, weights, mask_type, colors, extra=None):
    """Diagonal BiLSTM. `weights`: {"left_to_right": (Kis, Kss, bias), "right_to_left": ...}.

    Right-to-left = the left-to-right recurrence on the column-mirrored input,
    mirrored back, then shifted down one row (zero row on top, last row dropped).
    `extra`: {direction: (B, H, W, 4h)} condition biases in image coordinates.
    """
    x = np.asarray(x, np.float64)
    extra = extra or {"left_to_right": None, "right_to_left": None}
    mirrored = extra["right_to_left"]
    mirrored = None if mirrored is None else mirrored[:, :, ::-1]
    l2r = diagonal_lstm(x, *weights["left_to_right"], mask_type, colors, extra["left_to_right"])
    r2l = diagonal_lstm(
        x[:, :, ::-1], *weights["right_to_left"], mask_type, colors, mirrored
    )[:, :, ::-1]
    shifted = np.zeros_like(r2l)
    shifted[:, 1:] = r2l[:, :-1]
    return l2r + shifted


def border_pixels(height, width):
    """The four corners, the middle of each border and two interior pixels."""
    pixels = {
        (0, 0),
        (0, width - 1),
        (height - 1, 0),
        (height - 1, width - 1),
        (0, width // 2),
        (height - 1, width // 2),
        (height // 2, 0),
        (height // 2, width - 1),
        (height // 2, width // 2),
        (min(1, height - 1), min(1, width - 1)),
    }
    return sorted(pixels)


# --------------------------------------------------------------------------
# Receptive fields, from PAPER.md, at the granularity of colour groups.
# --------------------------------------------------------------------------


def _expand(groups_field, channels, colors):
    """`(H, W, colors)` per-group booleans -> `(H, W, channels)` per channel."""
    per = channels // colors
    return np.repeat(groups_field, per, axis=-1)


def center_groups(out_group, mask_type, colors):
    """Input groups that the centre tap lets output group `out_group` see."""
    return np.array([center_sees(g, out_group, mask_type) for g in range(colors)])


def any_center_groups(mask_type, colors):
    """Input groups that the centre lets SOME output group see (the union)."""
    return np.array(
        [any(center_sees(g, q, mask_type) for q in range(colors)) for g in range(colors)]
    )


def _row_lstm_groups(H, W, pixel, out_group, mask_type, colors, k):
    """Row LSTM field per colour group `(H, W, colors)`.

    Row i: the input-to-state taps of pixel j, columns j - k//2 .. j - 1 all
    colours and column j by the centre rule of `out_group`.
    Hidden states of row i - r (r >= 1) that reach (i, j): columns
    S_r = [j - r*(k//2), j + r*(k//2)] clipped, every colour group (the
    state-to-state kernel is unmasked). Each reads its own row at columns
    j' - k//2 .. j' - 1 in full and j' through the centre of some group, so
    row i - r is fully seen on min(S_r) - k//2 .. max(S_r) - 1 and column
    max(S_r) by the union centre rule (all colours with mask B; with mask A the
    last colour group is never seen there, nothing at all with one colour).
    With mask B this is PAPER.md's row i - r columns j - r - 1 .. j + r for k=3.
    """
    i, j = pixel
    half = k // 2
    f = np.zeros((H, W, colors), bool)
    f[i, max(0, j - half) : j] = True
    f[i, j] = center_groups(out_group, mask_type, colors)
    for r in range(1, i + 1):
        lo, hi = max(0, j - r * half), min(W - 1, j + r * half)
        f[i - r, max(0, lo - half) : hi] = True
        f[i - r, hi] |= any_center_groups(mask_type, colors)
    return f


def _diagonal_groups(H, W, pixel, out_group, mask_type, colors):
    """Diagonal BiLSTM field per colour group `(H, W, colors)`.

    Left-to-right state (i, j): its own input by the centre rule, and every
    state (r, c) with r <= i, c <= j, which reads its own input through the
    union centre rule. Right-to-left, shifted: states (r, c) with r <= i - 1,
    c >= j. Together: rows < i and row i columns < j by the union rule (all
    colours with mask B), (i, j) by the centre rule of `out_group`.
    """
    i, j = pixel
    f = np.zeros((H, W, colors), bool)
    union = any_center_groups(mask_type, colors)
    f[:i] = union
    f[i, :j] = union
    f[i, j] = center_groups(out_group, mask_type, colors)
    return f


def _conv_groups(H, W, pixel, out_group, mask_type, colors, kernel_size):
    """Masked convolution field per colour group `(H, W, colors)`."""
    kh, kw = kernel_size
    i, j = pixel
    f = np.zeros((H, W, colors), bool)
    for a in range(kh):
        for b in range(kw):
            r, c = i + a - kh // 2, j + b - kw // 2
            if not (0 <= r < H and 0 <= c < W):
                continue
            if (a, b) < (kh // 2, kw // 2):
                f[r, c] = True
            elif (a, b) == (kh // 2, kw // 2):
                f[r, c] = center_groups(out_group, mask_type, colors)
    return f


def expected_field(kind, H, W, C_in, pixel, out_group, mask_type, colors, k=3):
    """Boolean `(H, W, C_in)`: the input sub-pixels one layer's output at `pixel`,
    colour group `out_group`, depends on.

    `kind`: "conv" (then `k` is an int or `(kh, kw)`), "row" (`k` is the
    kernel width) or "diagonal".
    """
    if kind == "conv":
        kernel_size = (k, k) if isinstance(k, int) else tuple(k)
        groups = _conv_groups(H, W, pixel, out_group, mask_type, colors, kernel_size)
    elif kind == "row":
        groups = _row_lstm_groups(H, W, pixel, out_group, mask_type, colors, k)
    elif kind == "diagonal":
        groups = _diagonal_groups(H, W, pixel, out_group, mask_type, colors)
    else:
        raise ValueError(kind)
    return _expand(groups, C_in, colors)


def paper_row_lstm_field(H, W, pixel):
    """PAPER.md's Row LSTM formula, k=3, mask B, as whole pixels `(H, W)`:
    row i columns j-1..j; row i-r columns j-r-1..j+r, clipped."""
    i, j = pixel
    f = np.zeros((H, W), bool)
    f[i, max(0, j - 1) : j + 1] = True
    for r in range(1, i + 1):
        f[i - r, max(0, j - r - 1) : min(W, j + r + 1)] = True
    return f


def layer_relation(kind, H, W, mask_type, colors, k=3):
    """The group-level dependency relation of one layer as a boolean matrix
    `(H*W*colors, H*W*colors)`: entry [out, in] for (pixel, group) indices."""
    n = H * W * colors
    rel = np.zeros((n, n), bool)
    for i in range(H):
        for j in range(W):
            for g in range(colors):
                field = expected_field(kind, H, W, colors, (i, j), g, mask_type, colors, k)
                rel[(i * W + j) * colors + g] = field.reshape(-1)
    return rel


def stack_field(layers, H, W, C_in, pixel, out_group, colors):
    """Field of a stack of layers, `layers` = [(kind, mask_type, k), ...] first to
    last, composed at the colour-group level (random weights: no cancellations)."""
    rel = None
    for kind, mask_type, k in layers:
        r = layer_relation(kind, H, W, mask_type, colors, k).astype(np.int64)
        rel = r if rel is None else np.minimum(r @ rel, 1)
    row = rel[(pixel[0] * W + pixel[1]) * colors + out_group].astype(bool)
    return _expand(row.reshape(H, W, colors), C_in, colors)


def full_causal_context(H, W, C_in, pixel, out_group, mask_type, colors):
    """Rows < i and row i columns < j in full; (i, j) by the centre rule."""
    i, j = pixel
    f = np.zeros((H, W, colors), bool)
    f[:i] = True
    f[i, :j] = True
    f[i, j] = center_groups(out_group, mask_type, colors)
    return _expand(f, C_in, colors)
