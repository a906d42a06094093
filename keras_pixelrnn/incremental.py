"""Per-pixel ("cached") evaluation of a PixelRNN graph, for fast sampling.

Ramachandran et al. (2017) observed that generating one pixel of a
convolutional autoregressive model needs only a small cached window of each
layer's past activations. The same holds for both PixelRNN layers:

* a masked `kh x kw` convolution at `(i, j)` reads the `kh // 2` rows above
  and row `i` up to column `j` of its input: it caches those rows;
* a Row LSTM at `(i, j)` needs the previous row's `(h, c)` (its
  state-to-state convolution is done once per row, as in training) and its
  input on row `i` at columns `j - k//2 .. j`;
* a Diagonal BiLSTM's left-to-right state at `(i, j)` needs the states at
  `(i, j - 1)` and `(i - 1, j)`; its right-to-left stream of row `i - 1` is
  needed only once row `i - 1` is complete, so it is run over that row then.

Each handler below wraps one layer of a built model and exposes
`init(batch)`, `pixel(cache, j, inputs)` and `row_end(cache)`. They call the
layers' own cells (`state_to_state`, `update`), so the LSTM maths exists once.
`pixel` may be called several times for the same `j` (once per colour): it
reads only caches of earlier pixels and its own inputs, never what it wrote.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.color_logits import ColorLogits
from keras_pixelrnn.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.masked_conv2d import MaskedConv2D
from keras_pixelrnn.recurrence import scan
from keras_pixelrnn.row_lstm import RowLSTM


def _put(buffer, index, value):
    """`buffer[index] = value` for a buffer indexed on its first axis."""
    return tf.tensor_scatter_nd_update(buffer, [[index]], value[None])


def _masked_kernel(conv, dtype):
    return tf.cast(conv.kernel * conv.mask, dtype)


class Stateless:
    """Layers that act on each pixel alone: activations, rescaling, sums."""

    def __init__(self, layer, width, dtype):
        self.layer = layer

    def init(self, batch):
        return ()

    def pixel(self, cache, j, inputs):
        return self.layer(inputs if len(inputs) > 1 else inputs[0]), cache

    def row_end(self, cache):
        return cache


class Conv(Stateless):
    """`MaskedConv2D`: caches the rows of its input that its kernel reaches."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        kh, kw = layer.kernel_size
        self.rows_above, self.pad = kh // 2, kw // 2
        self.channels = layer.kernel.shape[2]
        self.taps = (self.rows_above + 1) * kw * self.channels

    def kernel(self):
        kernel = _masked_kernel(self.layer, self.dtype)[: self.rows_above + 1]
        return tf.reshape(kernel, (-1, self.layer.filters))

    def init(self, batch):
        if self.taps == self.channels:
            return ()
        row = tf.zeros((self.width + 2 * self.pad, batch, self.channels), self.dtype)
        above = tf.zeros((self.rows_above, self.width + 2 * self.pad, batch, self.channels), self.dtype)
        return {"above": above, "row": row}

    def pixel(self, cache, j, inputs):
        (x,) = inputs
        if cache:
            row = _put(cache["row"], j + self.pad, x)
            columns = j + tf.range(2 * self.pad + 1)
            above = tf.gather(cache["above"], columns, axis=1)
            window = tf.concat([above, tf.gather(row, columns)[None]], 0)
            x = tf.reshape(tf.transpose(window, (2, 0, 1, 3)), (-1, self.taps))
            cache = dict(cache, row=row)
        out = tf.matmul(x, self.kernel())
        if self.layer.use_bias:
            out = out + tf.cast(self.layer.bias, self.dtype)
        if self.layer.activation is not None:
            out = self.layer.activation(out)
        return out, cache

    def row_end(self, cache):
        if not cache:
            return cache
        above = tf.concat([cache["above"], cache["row"][None]], 0)[1:]
        return {"above": above, "row": tf.zeros_like(cache["row"])}


class RowLSTMHandler(Stateless):
    """`RowLSTM`: the previous row's states and this row's inputs."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        self.cell = layer.cell
        self.conv = Conv(layer.input_to_state, width, dtype)

    def init(self, batch):
        units = self.layer.units
        zeros = tf.zeros((batch, self.width, units), self.dtype)
        return {
            "conv": self.conv.init(batch),
            "h_prev": zeros,
            "c_prev": zeros,
            "state_to_state": tf.zeros((batch, self.width, 4 * units), self.dtype),
            "h": tf.zeros((self.width, batch, units), self.dtype),
            "c": tf.zeros((self.width, batch, units), self.dtype),
        }

    def pixel(self, cache, j, inputs):
        z, conv = self.conv.pixel(cache["conv"], j, inputs)
        z = z + cache["state_to_state"][:, j]
        h, c = self.cell.update(z, cache["c_prev"][:, j])
        cache = dict(cache, conv=conv, h=_put(cache["h"], j, h), c=_put(cache["c"], j, c))
        return h, cache

    def row_end(self, cache):
        h_prev = tf.transpose(cache["h"], (1, 0, 2))
        return dict(
            cache,
            conv=self.conv.row_end(cache["conv"]),
            h_prev=h_prev,
            c_prev=tf.transpose(cache["c"], (1, 0, 2)),
            state_to_state=self.cell.state_to_state(self.cell.neighbours(h_prev)),
        )


class DiagonalBiLSTMHandler(Stateless):
    """`DiagonalBiLSTM`: left-to-right per pixel, right-to-left per finished row."""

    def __init__(self, layer, width, dtype):
        self.layer, self.width, self.dtype = layer, width, dtype
        self.left = layer.cells["left_to_right"]
        self.right = layer.cells["right_to_left"]

    def kernel(self, direction):
        return _masked_kernel(self.layer.input_to_state[direction], self.dtype)[0, 0]

    def init(self, batch):
        units = self.layer.units
        channels = self.layer.input_to_state["left_to_right"].kernel.shape[2]
        zeros = tf.zeros((self.width, batch, units), self.dtype)
        padded = tf.zeros((self.width + 1, batch, units), self.dtype)
        return {
            "inputs": tf.zeros((self.width, batch, channels), self.dtype),
            "h_above": zeros,  # left-to-right h of the previous row
            "h": padded,  # this row's left-to-right (h, c); slot 0 is the zero left border
            "c": padded,
            "right_h_above": zeros,  # right-to-left h of the previous row
        }

    def pixel(self, cache, j, inputs):
        (x,) = inputs
        z = tf.matmul(x, self.kernel("left_to_right"))
        z += self.left.state_to_state([cache["h_above"][j], cache["h"][j]])
        h, c = self.left.update(z, cache["c"][j])
        cache = dict(
            cache,
            inputs=_put(cache["inputs"], j, x),
            h=_put(cache["h"], j + 1, h),
            c=_put(cache["c"], j + 1, c),
        )
        return h + cache["right_h_above"][j], cache

    def row_end(self, cache):
        # The right-to-left stream over the finished row, as a forward scan
        # over the reversed row (reverse the data, never the loop).
        units = self.layer.units
        sequence = tf.reverse(tf.concat([cache["inputs"], cache["right_h_above"]], -1), [0])

        def step(t, x_and_above, states):
            x, above = x_and_above[..., :-units], x_and_above[..., -units:]
            h_left, c_left = states
            z = tf.matmul(x, right_kernel)
            z += self.right.state_to_state([above, h_left])
            h, c = self.right.update(z, c_left)
            return h, (h, c)

        right_kernel = self.kernel("right_to_left")
        zeros = tf.zeros_like(cache["right_h_above"][0])
        right = tf.reverse(scan(step, sequence, (zeros, zeros)), [0])
        return dict(
            cache,
            h_above=cache["h"][1:],
            h=tf.zeros_like(cache["h"]),
            c=tf.zeros_like(cache["c"]),
            right_h_above=right,
        )


class Logits(Stateless):
    """`ColorLogits`: `(B, C * levels)` -> `(B, C, levels)`."""

    def pixel(self, cache, j, inputs):
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
    its handler. `evaluate(caches, j, pixel)` returns the logits
    `(B, C, levels)` at column `j` of the current row given the pixel's
    colour values `(B, C)`; `row_end(caches)` advances to the next row.
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

    def init(self, batch):
        return {name: handler.init(batch) for name, handler, _ in self.nodes}

    def evaluate(self, caches, j, pixel):
        values = {self.input_name: tf.cast(pixel, self.dtype)}
        caches = dict(caches)
        for name, handler, inputs in self.nodes:
            values[name], caches[name] = handler.pixel(
                caches[name], j, [values[n] for n in inputs]
            )
        return tf.cast(values[self.output_name], tf.float32), caches

    def commit(self, caches, j, pixel):
        """Writes the finished pixel `(B, C)` at column `j` into the caches."""
        values = {self.input_name: tf.cast(pixel, self.dtype)}
        caches = dict(caches)
        for name, handler, inputs in self.commit_nodes:
            values[name], caches[name] = handler.pixel(
                caches[name], j, [values[n] for n in inputs]
            )
        return caches

    def row_end(self, caches):
        return {name: handler.row_end(caches[name]) for name, handler, _ in self.nodes}
