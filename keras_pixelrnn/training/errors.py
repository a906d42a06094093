"""What a training run raises when it fails on its way, not on its input."""


class TrainingError(RuntimeError):
    """A run stopped before its end, with what it kept: the loss became NaN,
    say. The command line prints its message and exits with status 1."""
