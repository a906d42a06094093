"""A Functional PixelRNN evaluated one pixel at a time, for cached sampling.

Each layer of the model advances by one pixel through its own step (the
protocol of `keras_pixelrnn.layers.cached_step`: `step_weights`,
`init_cache`, `call_with_cache`, `end_row`), or, when it acts on each pixel
alone, is called on that one pixel. This module holds no layer maths: it
walks the graph, hands each layer its inputs and its slice of the cache, and
keeps the caches in step with the pixels drawn.

One subtlety is the model's own input. While colour `c` of a pixel is drawn,
the pixel's later colours are still unknown (zero), so the layers that read
the image itself cache an incomplete pixel. Every activation computed for
the last colour is final (a mask-A layer never sees the colour it predicts),
except those cached inputs: once the pixel is drawn, `commit` runs the
layers fed by the image again on the complete pixel and keeps only their
caches.
"""

import keras
import tensorflow as tf

# Keras layers that act on each pixel alone: their output at a pixel depends
# on their inputs at that pixel only.
PIXELWISE_LAYERS = (
    keras.layers.Activation,
    keras.layers.Add,
    keras.layers.Average,
    keras.layers.Dense,
    keras.layers.Dropout,
    keras.layers.ELU,
    keras.layers.Identity,
    keras.layers.LeakyReLU,
    keras.layers.Maximum,
    keras.layers.Minimum,
    keras.layers.Multiply,
    keras.layers.ReLU,
    keras.layers.Rescaling,
    keras.layers.Subtract,
)
# ...and these when they work on the channel axis.
CHANNEL_AXIS_LAYERS = (
    keras.layers.BatchNormalization,
    keras.layers.Concatenate,
    keras.layers.LayerNormalization,
    keras.layers.Softmax,
)


def has_cached_step(layer):
    return callable(getattr(layer, "call_with_cache", None))


def acts_per_pixel(layer):
    """Whether `layer`'s output at a pixel depends on its inputs there only."""
    if getattr(layer, "pixelwise", False) is True:
        return True
    if isinstance(layer, PIXELWISE_LAYERS):
        return True
    if isinstance(layer, CHANNEL_AXIS_LAYERS):
        axis = getattr(layer, "axis", None)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        return all(a in (-1, 3) for a in axes)
    return False


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class PixelGraph:
    """The layers of a Functional `model`, advanced one pixel at a time.

    The model's first input is the image; any other inputs are conditions
    (class labels, a small image; see `keras_pixelrnn.layers.conditioning`).
    The layers that read conditions only run once per generation call on the
    whole conditions (`conditions`); per pixel, the layers that mix them with
    the image receive their value at the pixel: a vector `(B, d)` as it is, a
    map `(B, H, W, d)` at `(row, column)`.

    Inside a traced function: `step_weights()` reads the weights once;
    `conditions(inputs)` runs the condition-only layers on the condition
    inputs (a list in the order of `model.inputs[1:]`); `init(batch)` gives
    the caches before the first pixel;
    `evaluate(weights, caches, conditions, row, column, pixel)` gives the
    model's output at the pixel `(B, ...)` (logits `(B, C, levels)`) given
    the pixel's colours known so far `(B, C)` (later ones zero), and the
    caches with the pixel written;
    `commit(weights, before, after, conditions, row, column, pixel)`
    rewrites the caches of the layers that read the image with the complete
    pixel; `end_row(weights, caches)` moves to the next row.

    Raises:
        ValueError: `model` has not one output, a layer is called more than
            once, or a layer neither has a cached step nor acts on each pixel
            alone. The message names the layer.
    """

    def __init__(self, model, width):
        if len(model.outputs) != 1:
            raise ValueError(
                "Cached sampling needs a Functional model with an image input and one "
                f"logits output. Received: model={model.name!r} with "
                f"{len(model.outputs)} outputs"
            )
        self.width = width
        producers = {}  # id(symbolic tensor) -> name of the layer that made it
        inputs = {}  # name of an InputLayer -> its position in model.inputs
        self.nodes = []  # (name, layer, input names, has a cached step)
        self.static_nodes = []  # the layers that read conditions only
        positions = {id(tensor): k for k, tensor in enumerate(model.inputs)}
        static = set()
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                producers[id(layer.output)] = layer.name
                inputs[layer.name] = positions.get(id(layer.output))
                if positions.get(id(layer.output), 0) > 0:
                    static.add(layer.name)
                continue
            sources = []
            for tensor in _as_list(layer.input):
                if id(tensor) not in producers:
                    raise ValueError(
                        f"Cached sampling needs each layer called once, in order; layer "
                        f"{layer.name!r} reads a tensor from a layer called more than once "
                        "or from outside the model. Use method='naive'."
                    )
                sources.append(producers[id(tensor)])
            if all(source in static for source in sources):
                self.static_nodes.append((layer.name, layer, sources))
                static.add(layer.name)
            else:
                cached = has_cached_step(layer)
                if not cached and not acts_per_pixel(layer):
                    raise ValueError(
                        f"Cached sampling cannot run layer {layer.name!r} of type "
                        f"{type(layer).__name__}: it does not act on each pixel alone and "
                        "has no one-pixel step (init_cache / call_with_cache / end_row, see "
                        "keras_pixelrnn.layers.cached_step). Use method='naive'."
                    )
                self.nodes.append((layer.name, layer, sources, cached))
            for tensor in _as_list(layer.output):
                producers[id(tensor)] = layer.name
        self.input_name = producers[id(model.inputs[0])]
        self.condition_names = [producers[id(tensor)] for tensor in model.inputs[1:]]
        if id(model.outputs[0]) not in producers:
            raise ValueError(
                f"Cached sampling needs the output of model {model.name!r} to come from a "
                "layer called once. Use method='naive'."
            )
        self.output_name = producers[id(model.outputs[0])]
        # The conditions that the per-pixel layers read.
        self.static_reads = sorted(
            {source for node in self.nodes for source in node[2] if source in static}
        )
        # The layers fed by the image (and conditions) through per-pixel
        # layers only: their cached inputs lack the pixel's last colour
        # until `commit`.
        from_image, self.image_nodes = {self.input_name} | static, []
        for node in self.nodes:
            if all(name in from_image for name in node[2]):
                self.image_nodes.append(node)
                if not node[3]:
                    from_image.add(node[0])

    def step_weights(self):
        return {name: layer.step_weights() for name, layer, _, cached in self.nodes if cached}

    def conditions(self, inputs):
        """The condition values that the per-pixel layers read, `{name:
        tensor}`, from the condition inputs (whole tensors)."""
        inputs = list(inputs)
        if len(inputs) != len(self.condition_names):
            raise ValueError(
                f"The model takes {len(self.condition_names)} condition inputs "
                f"({self.condition_names}). Received: {len(inputs)}"
            )
        values = dict(zip(self.condition_names, inputs))
        for name, layer, sources in self.static_nodes:
            args = [values[source] for source in sources]
            values[name] = layer(args[0] if len(args) == 1 else args, training=False)
        for name in self.static_reads:
            if values[name].shape.rank not in (2, 4):
                raise ValueError(
                    f"Cached sampling needs conditions that are vectors (batch, d) or maps "
                    f"(batch, height, width, d); {name!r} has shape {values[name].shape}. "
                    "Use method='naive'."
                )
        return {name: values[name] for name in self.static_reads}

    def init(self, batch):
        return {
            name: layer.init_cache(batch, self.width)
            for name, layer, _, cached in self.nodes
            if cached
        }

    def _run(self, nodes, weights, caches, conditions, row, column, pixel):
        values, caches = {self.input_name: pixel}, dict(caches)
        for name, value in conditions.items():
            # A map at the pixel; a vector is the same at every pixel.
            values[name] = value[:, row, column] if value.shape.rank == 4 else value
        for name, layer, sources, cached in nodes:
            inputs = [values[source] for source in sources]
            if cached:
                values[name], caches[name] = layer.call_with_cache(
                    inputs[0] if len(inputs) == 1 else inputs, caches[name], column, weights[name]
                )
            else:
                # A per-pixel layer sees the pixel as a 1 x 1 image.
                images = [x[:, None, None] for x in inputs]
                out = layer(images[0] if len(images) == 1 else images, training=False)
                values[name] = out[:, 0, 0]
        return values, caches

    def evaluate(self, weights, caches, conditions, row, column, pixel):
        values, caches = self._run(self.nodes, weights, caches, conditions, row, column, pixel)
        return values[self.output_name], caches

    def commit(self, weights, before, after, conditions, row, column, pixel):
        """`after` with the caches of the layers that read the image rebuilt
        from `before` and the complete `pixel`."""
        _, rebuilt = self._run(self.image_nodes, weights, before, conditions, row, column, pixel)
        return dict(after, **{name: rebuilt[name] for name, *_ in self.image_nodes if name in rebuilt})

    def end_row(self, weights, caches):
        return {
            name: layer.end_row(caches[name], weights[name])
            for name, layer, _, cached in self.nodes
            if cached
        }
