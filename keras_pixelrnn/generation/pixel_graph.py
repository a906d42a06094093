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

    Inside a traced function: `step_weights()` reads the weights once;
    `init(batch)` gives the caches before the first pixel;
    `evaluate(weights, caches, column, pixel)` gives the model's output at
    the pixel `(B, ...)` (logits `(B, C, levels)`) given the pixel's colours
    known so far `(B, C)` (later ones zero), and the caches with the pixel
    written; `commit(weights, before, after, column, pixel)` rewrites the
    caches of the layers that read the image with the complete pixel;
    `end_row(weights, caches)` moves to the next row.

    Raises:
        ValueError: `model` has not one input and one output, a layer is
            called more than once, or a layer neither has a cached step nor
            acts on each pixel alone. The message names the layer.
    """

    def __init__(self, model, width):
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ValueError(
                "Cached sampling needs a Functional model with one image input and one "
                f"logits output. Received: model={model.name!r} with {len(model.inputs)} "
                f"inputs and {len(model.outputs)} outputs"
            )
        self.width = width
        producers = {}  # id(symbolic tensor) -> name of the layer that made it
        self.nodes = []  # (name, layer, input names, has a cached step)
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                producers[id(layer.output)] = layer.name
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
            cached = has_cached_step(layer)
            if not cached and not acts_per_pixel(layer):
                raise ValueError(
                    f"Cached sampling cannot run layer {layer.name!r} of type "
                    f"{type(layer).__name__}: it does not act on each pixel alone and has "
                    "no one-pixel step (init_cache / call_with_cache / end_row, see "
                    "keras_pixelrnn.layers.cached_step). Use method='naive'."
                )
            self.nodes.append((layer.name, layer, sources, cached))
            for tensor in _as_list(layer.output):
                producers[id(tensor)] = layer.name
        self.input_name = producers[id(model.inputs[0])]
        if id(model.outputs[0]) not in producers:
            raise ValueError(
                f"Cached sampling needs the output of model {model.name!r} to come from a "
                "layer called once. Use method='naive'."
            )
        self.output_name = producers[id(model.outputs[0])]
        # The layers fed by the image through per-pixel layers only: their
        # cached inputs lack the pixel's last colour until `commit`.
        from_image, self.image_nodes = {self.input_name}, []
        for node in self.nodes:
            if all(name in from_image for name in node[2]):
                self.image_nodes.append(node)
                if not node[3]:
                    from_image.add(node[0])

    def step_weights(self):
        return {name: layer.step_weights() for name, layer, _, cached in self.nodes if cached}

    def init(self, batch):
        return {
            name: layer.init_cache(batch, self.width)
            for name, layer, _, cached in self.nodes
            if cached
        }

    def _run(self, nodes, weights, caches, column, pixel):
        values, caches = {self.input_name: pixel}, dict(caches)
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

    def evaluate(self, weights, caches, column, pixel):
        values, caches = self._run(self.nodes, weights, caches, column, pixel)
        return values[self.output_name], caches

    def commit(self, weights, before, after, column, pixel):
        """`after` with the caches of the layers that read the image rebuilt
        from `before` and the complete `pixel`."""
        _, rebuilt = self._run(self.image_nodes, weights, before, column, pixel)
        return dict(after, **{name: rebuilt[name] for name, *_ in self.image_nodes if name in rebuilt})

    def end_row(self, weights, caches):
        return {
            name: layer.end_row(caches[name], weights[name])
            for name, layer, _, cached in self.nodes
            if cached
        }
