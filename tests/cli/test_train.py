"""`keras-pixelrnn train` as parse -> recipe -> run: the options, their checks
(before any data is read, model built or file written) and the errors in the
words of the command line."""

import pytest

from keras_pixelrnn import cli
from keras_pixelrnn.cli import common
from keras_pixelrnn.cli.train import TrainOptions, make_recipe
from keras_pixelrnn.training import run

TRAIN = ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4",
         "--levels", "2", "--image-shape", "6,5,1", "--dataset", "digits.npy"]


def options(argv):
    return TrainOptions.parse(cli.parser().parse_args(argv))


@pytest.fixture
def nothing_runs(monkeypatch):
    """Fails a test that reads data or builds a model."""
    def fail(*args, **kwargs):
        raise AssertionError("the run went on past the checks")

    monkeypatch.setattr(run, "read_data", fail)
    monkeypatch.setattr(run, "compiled_model", fail)


@pytest.mark.parametrize("extra, message", [
    pytest.param(["--learning-rate", "nan"],
                 "--learning-rate must be a finite number > 0. Received: --learning-rate nan",
                 id="learning_rate_nan"),
    pytest.param(["--learning-rate", "-1"],
                 "--learning-rate must be a finite number > 0. Received: --learning-rate -1.0",
                 id="learning_rate_negative"),
    pytest.param(["--clipnorm", "-1"],
                 "--clipnorm must be a finite number > 0. Received: --clipnorm -1.0",
                 id="clipnorm_negative"),
    pytest.param(["--epochs", "0"],
                 "--epochs must be a positive integer. Received: --epochs 0", id="epochs_zero"),
    pytest.param(["--max-restarts", "-1"],
                 "--max-restarts must be a non-negative integer. Received: --max-restarts -1",
                 id="max_restarts_negative"),
    pytest.param(["--steps", "0"],
                 "--steps must be a positive integer. Received: --steps 0", id="steps_zero"),
    pytest.param(["--batch-size", "0"],
                 "--batch-size must be a positive integer. Received: --batch-size 0",
                 id="batch_size_zero"),
    pytest.param(["--warmup-steps", "-1"],
                 "--warmup-steps must be a non-negative integer. Received: --warmup-steps -1",
                 id="warmup_steps_negative"),
    pytest.param(["--devices", "0"],
                 "--devices must be a positive integer. Received: --devices 0", id="devices_zero"),
    pytest.param(["--ema", "2"],
                 "--ema must be a finite number >= 0 and < 1. Received: --ema 2.0", id="ema_2"),
    pytest.param(["--ema", "nan"],
                 "--ema must be a finite number >= 0 and < 1. Received: --ema nan", id="ema_nan"),
    pytest.param(["--ema", "often"],
                 "--ema must be 'auto' or a number in [0, 1). Received: --ema often",
                 id="ema_text"),
    pytest.param(["--peer-timeout", "0"],
                 "--peer-timeout must be a finite number > 0. Received: --peer-timeout 0.0",
                 id="peer_timeout_zero"),
    pytest.param(["--seed", "-1"],
                 "--seed must be a non-negative integer. Received: --seed -1", id="seed_negative"),
    pytest.param(["--val-limit", "0"],
                 "--val-limit must be a positive integer. Received: --val-limit 0",
                 id="val_limit_zero"),
    pytest.param(["--image-shape", "6,five,1"],
                 "--image-shape must be H,W,C: three positive integers, e.g. 28,28,1. "
                 "Received: --image-shape 6,five,1",
                 id="image_shape_text"),
])
def test_bad_numbers_exit_2_before_anything_runs(tmp_path, capsys, nothing_runs, extra, message):
    out = tmp_path / "run"
    assert cli.main(TRAIN + ["--out", str(out)] + extra) == 2
    error = capsys.readouterr().err
    assert error == f"error: {message}\n"
    assert not out.exists()


def test_the_options_give_the_same_recipe_as_python(tmp_path):
    recipe = make_recipe(options(TRAIN + ["--out", str(tmp_path), "--steps", "5", "--ema", "0.5",
                                          "--num-classes", "3", "--condition-units", "2"]))
    assert recipe.model == dict(architecture="pixel_cnn", image_shape=(6, 5, 1), num_layers=1,
                                hidden_units=4, levels=2, num_classes=3, condition_units=2,
                                dropout=0.0)
    assert (recipe.steps, recipe.ema, recipe.binarize, recipe.num_classes) == (5, 0.5, True, 3)


def test_a_preset_keeps_its_arguments_but_those_given(tmp_path):
    model = make_recipe(options(["train", "--preset", "small", "--hidden", "4",
                                 "--out", str(tmp_path)])).model
    assert model == dict(architecture="diagonal_bilstm", image_shape=(28, 28, 1), num_layers=2,
                         hidden_units=4, levels=2, output_units=32, name="small", dropout=0.0)


@pytest.mark.parametrize("argv", [
    pytest.param(TRAIN + ["--out", "runs/a"], id="defaults"),
    pytest.param(TRAIN + ["--out", "-odd name", "--learning-rate", "0.002", "--ema", "0.5",
                          "--keep-best", "--binarize", "--clipnorm", "1.5", "--steps", "7",
                          "--strategy", "multi-worker", "--peer-timeout", "2.5"], id="all_kinds"),
    pytest.param(["train", "--preset", "small", "--multi-scale", "--condition-units", "3",
                  "--out", "runs/b"], id="preset"),
])
def test_the_command_line_of_the_options_parses_into_them(argv):
    given = options(argv)
    assert given.command_line()[0] == "train"
    assert options(given.command_line()) == given


def test_python_messages_in_the_words_of_the_options():
    names = TrainOptions.options()
    assert names["num_layers"] == "--layers" and names["val_limit"] == "--val-limit"
    message = ("source='x.npz' holds labels 2, which a model with num_classes=2 cannot "
               "represent (labels must be < num_classes). Received: num_classes=2")
    assert common.in_option_words(message, names) == message.replace(
        "Received: num_classes=2", "Received: --num-classes 2")
    assert common.in_option_words("`hidden_units` must be a positive integer. Received: "
                                  "hidden_units=0", names) == (
        "--hidden must be a positive integer. Received: --hidden 0")
    assert common.in_option_words("no names here", names) == "no names here"
    # A None given in Python is an option left out on the command line.
    assert common.in_option_words("`steps` must be a positive integer or None. Received: "
                                  "steps=0", names) == (
        "--steps must be a positive integer. Received: --steps 0")
