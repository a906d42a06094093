"""What more than one command needs: loading a model, the binarization rule."""


def load_model(path):
    """`models.loading.load_pixelrnn`; a bad file exits with its message."""
    from keras_pixelrnn.models.loading import load_pixelrnn

    try:
        return load_pixelrnn(path)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: {error}")


def binarize_for(levels, args):
    """Binary images for a 2-level model, or when `--binarize` asks."""
    return bool(getattr(args, "binarize", False) or levels == 2)
