"""Fixtures of the export tests: a module's `workdir` and the SavedModels of
its `models` fixture (name -> (model, .keras path, inputs)), which each test
module that asks for `saved_models` defines."""

import pytest

from keras_pixelrnn import serving


@pytest.fixture(scope="module")
def workdir(request, tmp_path_factory):
    """One folder per test module, named after it (test_export.py: export)."""
    return tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_"))


@pytest.fixture(scope="module")
def saved_models(models, workdir):
    """name -> SavedModel version folder, exported in this process."""
    return {
        name: serving.write_saved_model(model, str(workdir / "serving" / name))
        for name, (model, _, _) in models.items()
    }
