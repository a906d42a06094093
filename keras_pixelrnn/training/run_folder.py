"""The run folder of `training.run.train`: what it holds, and what a new run may do with it.

A run folder is in one of three states:

* none: it does not exist, or is empty. The run starts.
* unfinished: a `backup/` and no `model.keras` (a run killed, or stopped
  by a NaN loss). The run resumes from the backup, as it always has.
* finished: it holds `model.keras`. A run into it is refused unless told
  what to do, since starting again would replace the trained model:
  `overwrite=True` trains again from scratch, and replaces the old run only
  once the new one has succeeded (it trains into a staging folder beside
  it, `.NAME.overwrite`, renamed into place at the end); `resume=True`
  trains it on, from its backup or else its last checkpoint
  (`checkpoints/epoch_NNN.keras`, whose weights and optimizer state it
  loads), with the same recipe: a recipe that differs in anything but its
  length (`epochs`, `steps`) is refused, naming what differs.

A run that fails before it has anything to resume from (bad data, a loss
that is NaN in the first epoch) removes the folder it created.
"""

import json
import os
import re
import shutil

from keras_pixelrnn.utils.atomic_files import replace_folder

# What a recipe may change on `resume`: its length, and what follows from it.
_LENGTH = ("epochs", "steps", "ema", "workers", "replicas", "per_replica_batch", "parameters")
_CHECKPOINT = re.compile(r"^epoch_(\d+)\.keras$")


def last_checkpoint(folder):
    """`(path, epoch)` of the last `checkpoints/epoch_NNN.keras` in `folder`, or None."""
    checkpoints = os.path.join(folder, "checkpoints")
    found = [(int(m.group(1)), name) for name in sorted(os.listdir(checkpoints))
             if (m := _CHECKPOINT.match(name))] if os.path.isdir(checkpoints) else []
    if not found:
        return None
    epoch, name = max(found)
    return os.path.join(checkpoints, name), epoch


def _has_backup(folder):
    return os.path.isfile(os.path.join(folder, "backup", "checkpoint"))


def differences(recorded, recipe):
    """The names whose values differ between a run's `recipe.json` (`recorded`)
    and `recipe`, but for the run's length: `[(name, recorded, given)]`."""
    given = json.loads(json.dumps(recipe.record(None, None, None, 1, 1, None)))
    names = sorted(set(recorded) | set(given))
    return [(name, recorded.get(name), given.get(name)) for name in names
            if name not in _LENGTH and recorded.get(name) != given.get(name)]


class RunFolder:
    """Where a run writes (`path`: the folder, or its staging folder), checked
    against what the folder holds (see the module's docstring).

    Args:
        out: the run folder.
        recipe: the run's `Recipe`.
        overwrite: train a finished run again from scratch.
        resume: train a finished run on, with the same recipe.

    Raises:
        ValueError: naming `out`, for a finished run without `overwrite` or
            `resume`; with `resume`, for a folder with nothing to resume
            or a recipe that differs (naming what differs).
    """

    def __init__(self, out, recipe, overwrite=False, resume=False):
        self.out = os.fspath(out)
        if overwrite and resume:
            raise ValueError(
                "`overwrite` starts the run again and `resume` goes on with it: give one. "
                f"Received: overwrite={overwrite}, resume={resume}"
            )
        self.overwrite, self.resume = bool(overwrite), bool(resume)
        self.created = not os.path.exists(self.out)
        self.finished = os.path.isfile(os.path.join(self.out, "model.keras"))
        self.path = self.out
        if self.finished and not (overwrite or resume):
            raise ValueError(
                f"`out` holds a finished run ({os.path.join(self.out, 'model.keras')}); training "
                "into it again would replace it. Set `overwrite` to train it again from scratch, "
                f"or `resume` to train it on from its last checkpoint. Received: out={self.out}"
            )
        if resume:
            self._check_resume(recipe)
        elif overwrite and os.path.isdir(self.out) and os.listdir(self.out):
            self.path = os.path.join(os.path.dirname(os.path.abspath(self.out)),
                                     f".{os.path.basename(os.path.abspath(self.out))}.overwrite")
            self._clear_staging(recipe)

    def _recorded(self, folder):
        path = os.path.join(folder, "recipe.json")
        if not os.path.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def _check_resume(self, recipe):
        if not (_has_backup(self.out) or last_checkpoint(self.out)):
            raise ValueError(
                "`resume` goes on with the run in `out`, which holds none (no backup/, no "
                f"checkpoints/epoch_NNN.keras). Received: out={self.out}"
            )
        recorded = self._recorded(self.out)
        changed = [] if recorded is None else differences(recorded, recipe)
        if changed:
            listed = "; ".join(f"`{name}` {old!r} in the run, {new!r} here"
                               for name, old, new in changed)
            raise ValueError(
                f"`resume` trains the run in `out` on with its own recipe, and this one differs: "
                f"{listed}. Give the run's settings (only `epochs` and `steps` may change), or "
                f"`overwrite` to start again. Received: out={self.out}"
            )

    def _clear_staging(self, recipe):
        """A staging folder left by an overwrite that was killed resumes where its
        recipe is this one; any other is removed."""
        recorded = self._recorded(self.path)
        if _has_backup(self.path) and recorded is not None and not differences(recorded, recipe):
            return
        shutil.rmtree(self.path, ignore_errors=True)

    def restore_checkpoint(self, model):
        """With `resume` and no backup: loads the last checkpoint's weights and
        optimizer state into `model`; returns its epoch (0 where none is loaded)."""
        if not self.resume or _has_backup(self.path):
            return 0
        path, epoch = last_checkpoint(self.path)
        model.load_weights(path)
        print(f"resuming after epoch {epoch} from {path}")
        return epoch

    def done(self):
        """After the run saved its model: an overwrite's staging folder
        replaces the old run."""
        if self.path == self.out:
            return
        replace_folder(self.path, self.out)

    def failed(self):
        """After the run failed: a folder it created (or its staging folder)
        that holds nothing to resume from is removed."""
        created = self.created or self.path != self.out
        if created and not (_has_backup(self.path) or last_checkpoint(self.path)):
            shutil.rmtree(self.path, ignore_errors=True)

