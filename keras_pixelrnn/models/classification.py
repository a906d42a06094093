"""A class-conditional PixelRNN as a classifier: Bayes' rule over its labels.

A model of `p(x | y)` for labels `y = 0 .. K-1` classifies an image `x` by

    p(y | x) = p(x | y) p(y) / sum_k p(x | k) p(k)
             = softmax_y(log p(x | y) + log p(y))

with the prior `p(y)` uniform unless given. This is a generative classifier:
it never saw a label as a target, only as a condition, so its accuracy says
how much of each class the density model learned. Each `log p(x | y)` is
`PixelRNN.log_prob` with every image given label `y`: `K` scoring passes over
the images in all, each the cost of one `log_prob`.
"""

import numpy as np

from keras_pixelrnn.utils import arguments


def log_likelihoods(model, images, batch_size=64):
    """`log p(x | y)` of every image under every label, nats, float64 `(N, K)`.

    One batched `model.log_prob` pass per label `y`: `K = model.num_classes`
    passes over `images`.

    Raises:
        ValueError: `model` is not class-conditional (no `num_classes`), or
            the images do not fit it (the model's own image check).
    """
    num_classes = getattr(model, "num_classes", None)
    if num_classes is None:
        raise ValueError(
            f"Model {model.name!r} is not class-conditional (num_classes=None), so it cannot "
            "classify: a generative classifier needs p(x | label) for every label. Build or "
            "train it with `num_classes` (e.g. the preset 'mnist_conditional'). "
            "Received: num_classes=None"
        )
    batch = len(np.asarray(images))
    columns = [
        model.log_prob(images, batch_size=batch_size, labels=np.full((batch,), label))
        for label in range(num_classes)
    ]
    return np.stack(columns, axis=-1).astype(np.float64).reshape(batch, num_classes)


def posterior(model, images, prior=None, batch_size=64):
    """`p(y | x)`, float64 `(N, K)`: each row sums to 1 (see the module).

    Args:
        model: a class-conditional `PixelRNN` (`num_classes=K`).
        images: integer images `(N, H, W, C)` in `[0, levels)`.
        prior: `p(y)`, `K` numbers `>= 0` that sum to 1; None (default) for
            the uniform prior `1 / K`. A zero rules its class out.
        batch_size: images per forward pass.

    Raises:
        ValueError: an unconditional model (naming `num_classes`), a `prior`
            of another length, with a negative entry or not summing to 1, or
            images that do not fit the model.
    """
    num_classes = getattr(model, "num_classes", None)
    if num_classes is not None and prior is not None:
        prior = arguments.probabilities("prior", prior, num_classes)
    scores = log_likelihoods(model, images, batch_size=batch_size)
    if prior is not None:
        with np.errstate(divide="ignore"):  # log 0 = -inf: the class is ruled out
            scores = scores + np.log(prior)
    scores -= scores.max(axis=-1, keepdims=True) if len(scores) else 0.0
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)
