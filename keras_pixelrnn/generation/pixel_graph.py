"""Per-pixel ("cached") evaluation of a PixelRNN graph, for fast sampling.

Ramachandran et al. (2017) observed that generating one pixel of a
convolutional autoregressive model needs only a small cached window of each
layer's past activations. The same holds for both PixelRNN layers:

* a masked `kh x kw` convolution at `(i, j)` reads the `kh // 2` rows above
  and row `i` up to column `j` of its input. The rows above are done once
  per row, as one convolution over the whole row when the row before is
  complete; per pixel only the `kw // 2 + 1` taps of row `i` remain;
* a Row LSTM at `(i, j)` needs the previous row's `(h, c)` (its
  state-to-state convolution is done once per row, as in training) and its
  input on row `i` at columns `j - k//2 .. j`;
* a Diagonal BiLSTM's left-to-right state at `(i, j)` needs the states at
  `(i, j - 1)` and `(i - 1, j)`; its right-to-left stream of row `i - 1` is
  needed only once row `i - 1` is complete, so it is run over that row then.

Each handler below wraps one layer of a built model and exposes
`weights()` (the tensors it multiplies with, read and masked once per
sampling call, outside the loops), `init(batch)`, `pixel(weights, cache, j,
inputs, store)`, `write(cache, j, inputs)` and `row_end(weights, cache)`.
They call the layers' own cells (`state_to_state`, `update`), so the LSTM
maths exists once. `pixel` is called once per colour for the same `j`: it
reads only caches of earlier pixels and its own inputs, and writes the
pixel's activations into the caches only when `store` is true (for the
last colour, whose evaluation is the final one).

Per-pixel buffers are column-major, `(width, batch, channels)`, so that a
column is a slice of the leading axis.
"""

import keras
import tensorflow as tf

from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.recurrence import scan
from keras_pixelrnn.layers.row_lstm import RowLSTM


def _put(buffer, index, value):
    """`buffer[index] = value` for a buffer indexed on its first axis."""
    return tf.tensor_scatter_nd_update(buffer, [[index]], value[None])


def _masked_kernel(conv, dtype):
    return tf.cast(conv.kernel * conv.mask, dtype)


class Stateless:
    """Layers that act on each pixel alone: activations, rescaling, sums."""

    def __init__(self, layer, width, dtype):
        self.layer, self.dtype = layer, dtype

    def weights(self):
        return ()

    def init(self, batch):
        return ()

    def pixel(self, weights, cache, j, inputs, store):
        # A mixed-precision layer computes in float16; the caches hold `dtype`.
        out = self.layer(inputs if len(inputs) > 1 else inputs[0])
        return tf.cast(out, self.dtype), cache

    def write(self, cache, j, inputs):
        return cache

    def row_end(self, weights, cache):
        return cache


class Conv(Stateless):
    """`MaskedConv2D`: the rows above once per row, the taps on the row per pixel."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        kh, kw = layer.kernel_size
        self.rows_above, self.pad = kh // 2, kw // 2
        self.channels = layer.kernel.shape[2]

    def weights(self):
        kernel = _masked_kernel(self.layer, self.dtype)
        # Taps right of the centre are masked: the row part reads j - pad .. j.
        row = tf.reshape(kernel[self.rows_above, : self.pad + 1], (-1, self.layer.filters))
        above = kernel[: self.rows_above] if self.rows_above else None
        bias = tf.cast(self.layer.bias, self.dtype) if self.layer.use_bias else None
        return row, above, bias

    def init(self, batch):
        cache = {}
        if self.pad or self.rows_above:
            # The current row's inputs, `pad` zero columns on the left.
            cache["row"] = tf.zeros((self.width + self.pad, batch, self.channels), self.dtype)
        if self.rows_above:
            padded = self.width + 2 * self.pad
            cache["above"] = tf.zeros((batch, self.rows_above, padded, self.channels), self.dtype)
            cache["from_above"] = tf.zeros((self.width, batch, self.layer.filters), self.dtype)
        return cache

    def write(self, cache, j, inputs):
        if "row" not in cache:
            return cache
        return dict(cache, row=_put(cache["row"], j + self.pad, inputs[0]))

    def pixel(self, weights, cache, j, inputs, store):
        row_kernel, _, bias = weights
        (x,) = inputs
        if self.pad:
            left = tf.slice(cache["row"], tf.stack([j, 0, 0]), [self.pad, -1, -1])
            x = tf.concat(tf.unstack(left, self.pad) + [x], -1)
        if store:
            cache = self.write(cache, j, inputs)
        out = tf.matmul(x, row_kernel)
        if self.rows_above:
            out += tf.gather(cache["from_above"], j)
        if bias is not None:
            out += bias
        if self.layer.activation is not None:
            out = self.layer.activation(out)
        return out, cache

    def row_end(self, weights, cache):
        if not self.rows_above:
            return cache
        _, above_kernel, _ = weights
        row = tf.pad(tf.transpose(cache["row"], (1, 0, 2)), [[0, 0], [0, self.pad], [0, 0]])
        above = tf.concat([cache["above"][:, 1:], row[:, None]], 1)
        from_above = tf.nn.conv2d(above, above_kernel, 1, "VALID")[:, 0]
        return dict(cache, above=above, from_above=tf.transpose(from_above, (1, 0, 2)))


class RowLSTMHandler(Stateless):
    """`RowLSTM`: the previous row's states and this row's inputs."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        self.cell = layer.cell
        self.conv = Conv(layer.input_to_state, width, dtype)

    def weights(self):
        return self.conv.weights()

    def init(self, batch):
        units = self.layer.units
        return {
            "conv": self.conv.init(batch),
            "state_to_state": tf.zeros((self.width, batch, 4 * units), self.dtype),
            "c_prev": tf.zeros((self.width, batch, units), self.dtype),
            "hc": tf.zeros((self.width, batch, 2 * units), self.dtype),  # this row's [h, c]
        }

    def write(self, cache, j, inputs):
        return dict(cache, conv=self.conv.write(cache["conv"], j, inputs))

    def pixel(self, weights, cache, j, inputs, store):
        z, conv = self.conv.pixel(weights, cache["conv"], j, inputs, store)
        z = z + tf.gather(cache["state_to_state"], j)
        h, c = self.cell.update(z, tf.gather(cache["c_prev"], j))
        if store:
            cache = dict(cache, conv=conv, hc=_put(cache["hc"], j, tf.concat([h, c], -1)))
        return h, cache

    def row_end(self, weights, cache):
        h, c = tf.split(cache["hc"], 2, axis=-1)
        state_to_state = self.cell.state_to_state(self.cell.neighbours(tf.transpose(h, (1, 0, 2))))
        return dict(
            cache,
            conv=self.conv.row_end(weights, cache["conv"]),
            c_prev=c,
            state_to_state=tf.transpose(state_to_state, (1, 0, 2)),
        )


class DiagonalBiLSTMHandler(Stateless):
    """`DiagonalBiLSTM`: left-to-right per pixel, right-to-left per finished row."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        self.left = layer.cells["left_to_right"]
        self.right = layer.cells["right_to_left"]

    def weights(self):
        return tuple(
            _masked_kernel(self.layer.input_to_state[direction], self.dtype)[0, 0]
            for direction in ("left_to_right", "right_to_left")
        )

    def init(self, batch):
        units = self.layer.units
        channels = self.layer.input_to_state["left_to_right"].kernel.shape[2]
        return {
            "inputs": tf.zeros((self.width, batch, channels), self.dtype),
            # The previous row's h, [left-to-right, right-to-left].
            "above": tf.zeros((self.width, batch, 2 * units), self.dtype),
            # This row's left-to-right [h, c]; slot 0 is the zero left border.
            "hc": tf.zeros((self.width + 1, batch, 2 * units), self.dtype),
        }

    def write(self, cache, j, inputs):
        return dict(cache, inputs=_put(cache["inputs"], j, inputs[0]))

    def pixel(self, weights, cache, j, inputs, store):
        (x,) = inputs
        h_above, right_above = tf.split(tf.gather(cache["above"], j), 2, axis=-1)
        h_left, c_left = tf.split(tf.gather(cache["hc"], j), 2, axis=-1)
        z = tf.matmul(x, weights[0])
        z += self.left.state_to_state([h_above, h_left])
        h, c = self.left.update(z, c_left)
        if store:
            hc = _put(cache["hc"], j + 1, tf.concat([h, c], -1))
            cache = dict(self.write(cache, j, inputs), hc=hc)
        return h + right_above, cache

    def row_end(self, weights, cache):
        # The right-to-left stream over the finished row, as a forward scan
        # over the reversed row (reverse the data, never the loop).
        units = self.layer.units
        right_kernel = weights[1]
        right_above = cache["above"][..., units:]
        sequence = tf.reverse(tf.concat([cache["inputs"], right_above], -1), [0])

        def step(t, x_and_above, states):
            x, above = x_and_above[..., :-units], x_and_above[..., -units:]
            h_left, c_left = states
            z = tf.matmul(x, right_kernel)
            z += self.right.state_to_state([above, h_left])
            h, c = self.right.update(z, c_left)
            return h, (h, c)

        zeros = tf.zeros_like(right_above[0])
        right = tf.reverse(scan(step, sequence, (zeros, zeros)), [0])
        # The left border slot of `hc` is never written, the others are
        # rewritten before they are read: no reset.
        return dict(cache, above=tf.concat([cache["hc"][1:, :, :units], right], -1))


class ColorHead(Conv):
    """The last 1x1 `MaskedConv2D`, feeding `ColorLogits`: one colour's logits.

    Drawing colour `c` needs only its `levels` logits, a third of the
    layer's work with three colours."""

    def weights(self):
        kernel, _, bias = super().weights()
        colors = self.layer.color_channels
        kernels = tf.split(kernel, colors, axis=-1)
        biases = tf.split(bias, colors) if bias is not None else [None] * colors
        return tuple(zip(kernels, biases))

    def logits(self, weights, x, color):
        kernel, bias = weights[color]
        out = tf.matmul(x, kernel)
        if bias is not None:
            out += bias
        if self.layer.activation is not None:
            out = self.layer.activation(out)
        return out


class Logits(Stateless):
    """`ColorLogits`: `(B, C * levels)` -> `(B, C, levels)`."""

    def pixel(self, weights, cache, j, inputs, store):
        (x,) = inputs
        colors = self.layer.color_channels
        return tf.reshape(x, (-1, colors, x.shape[-1] // colors)), cache


HANDLERS = (
    (MaskedConv2D, Conv),
    (RowLSTM, RowLSTMHandler),
    (DiagonalBiLSTM, DiagonalBiLSTMHandler),
    (ColorLogits, Logits),
    (keras.layers.ReLU, Stateless),
    (keras.layers.Activation, Stateless),
    (keras.layers.Rescaling, Stateless),
    (keras.layers.Add, Stateless),
)


def _input_names(node_args):
    names = []
    if isinstance(node_args, dict):
        history = node_args.get("config", {}).get("keras_history")
        if history is not None:
            return [history[0]]
        node_args = list(node_args.values())
    if isinstance(node_args, (list, tuple)):
        for arg in node_args:
            names += _input_names(arg)
    return names


class PixelGraph:
    """A built PixelRNN model, evaluated one pixel at a time.

    Walks the Functional graph (from `model.get_config()`, so any model from
    `build_pixel_rnn`, also one loaded from `.keras`) and wraps each layer in
    its handler. Inside a traced function, `weights()` reads the weights
    once; `evaluate(weights, caches, j, pixel, color, store)` returns the
    logits `(B, levels)` of colour `color` at column `j` of the current row
    given the pixel's colour values `(B, C)` (and, if `store`, the caches
    with the pixel's activations); `commit` writes the finished pixel's own
    values;
    `row_end(weights, caches)` advances to the next row.
    """

    def __init__(self, model, width):
        config = model.get_config()
        inputs, outputs = config.get("input_layers"), config.get("output_layers")
        if inputs and not isinstance(inputs[0], (list, tuple)):
            inputs, outputs = [inputs], [outputs]
        if not inputs or len(inputs) != 1 or len(outputs) != 1:
            raise ValueError(
                "Cached sampling needs a Functional model with one image input "
                f"and one logits output. Received: model={model.name!r}"
            )
        self.input_name, self.output_name = inputs[0][0], outputs[0][0]
        self.dtype = tf.float32
        self.nodes = []
        for entry in config["layers"]:
            name = entry["name"]
            if name == self.input_name:
                continue
            if len(entry["inbound_nodes"]) != 1:
                raise ValueError(
                    f"Cached sampling needs each layer called once; layer {name!r} is "
                    f"called {len(entry['inbound_nodes'])} times. Use method='naive'."
                )
            layer = model.get_layer(name)
            handler = next((h for t, h in HANDLERS if isinstance(layer, t)), None)
            if handler is None:
                raise ValueError(
                    f"Cached sampling does not know layer {name!r} of type "
                    f"{type(layer).__name__}. Use method='naive'."
                )
            inputs = _input_names(entry["inbound_nodes"][0]["args"])
            self.nodes.append((name, handler(layer, width, self.dtype), inputs))
        # The output head: a 1x1 convolution read by `ColorLogits` alone.
        self.head = None
        last, head = self.nodes[-1], self.nodes[-2] if len(self.nodes) > 1 else None
        if (
            last[0] == self.output_name
            and isinstance(last[1], Logits)
            and head is not None
            and last[2] == [head[0]]
            and type(head[1]) is Conv
            and tuple(head[1].layer.kernel_size) == (1, 1)
            and head[1].layer.color_channels == last[1].layer.color_channels
            and not any(head[0] in inputs for _, _, inputs in self.nodes[:-1])
        ):
            self.nodes = self.nodes[:-2]
            self.head = (head[0], ColorHead(head[1].layer, width, self.dtype), head[2][0])
        # After the last colour of a pixel is drawn, every activation at the
        # pixel is final (a mask-A layer reads the raw pixel, and its output
        # never depends on the pixel's last colour), but the cached INPUTS of
        # the layers that read the raw pixel still lack that colour.
        # `commit` writes it: the nodes fed by the input through
        # per-pixel layers only.
        available, self.commit_nodes = {self.input_name}, []
        for node in self.nodes:
            name, handler, inputs = node
            if all(n in available for n in inputs):
                self.commit_nodes.append(node)
                if type(handler) is Stateless:
                    available.add(name)

    def weights(self):
        weights = {name: handler.weights() for name, handler, _ in self.nodes}
        if self.head:
            weights[self.head[0]] = self.head[1].weights()
        return weights

    def init(self, batch):
        return {name: handler.init(batch) for name, handler, _ in self.nodes}

    def evaluate(self, weights, caches, j, pixel, color, store=True):
        values = {self.input_name: tf.cast(pixel, self.dtype)}
        caches = dict(caches)
        for name, handler, inputs in self.nodes:
            values[name], caches[name] = handler.pixel(
                weights[name], caches[name], j, [values[n] for n in inputs], store
            )
        if self.head:
            name, handler, source = self.head
            logits = handler.logits(weights[name], values[source], color)
        else:
            logits = values[self.output_name][:, color]
        return tf.cast(logits, tf.float32), caches

    def commit(self, weights, caches, j, pixel):
        """Writes the finished pixel `(B, C)` at column `j` into the caches."""
        values = {self.input_name: tf.cast(pixel, self.dtype)}
        caches = dict(caches)
        for name, handler, inputs in self.commit_nodes:
            args = [values[n] for n in inputs]
            if type(handler) is Stateless:
                values[name], _ = handler.pixel(weights[name], caches[name], j, args, False)
            else:
                caches[name] = handler.write(caches[name], j, args)
        return caches

    def row_end(self, weights, caches):
        return {
            name: handler.row_end(weights[name], caches[name]) for name, handler, _ in self.nodes
        }
