"""scripts/ship_preset_weights.py: a class-conditional card's label gain, and
its refusal to ship a gain outside (0, ln 10)."""

import importlib.util
import math
import os
import types

import pytest

from keras_pixelrnn.models import presets

SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, "scripts", "ship_preset_weights.py")


@pytest.fixture(scope="module")
def ship():
    spec = importlib.util.spec_from_file_location("ship_preset_weights", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODEL = types.SimpleNamespace(num_classes=10, condition_units=16)


@pytest.fixture
def mnist_card(monkeypatch):
    cards = {"mnist": {"preset": "mnist", "validation_nats_per_image": 80.0}}
    monkeypatch.setattr(presets, "model_card", cards.get)


def test_the_gain_is_the_unconditional_score_minus_the_conditional(ship, mnist_card):
    entries = ship.label_gain("mnist_conditional", MODEL, 78.5)
    assert entries["unconditional_preset"] == "mnist"
    assert entries["unconditional_validation_nats_per_image"] == 80.0
    assert math.isclose(entries["label_gain_nats_per_image"], 1.5)
    assert entries["conditioning"] == {"num_classes": 10, "condition_units": 16}


@pytest.mark.parametrize("nats", [80.0, 80.5, 80.0 - math.log(10) - 0.01])
def test_a_gain_outside_the_bound_ships_nothing(ship, mnist_card, nats):
    with pytest.raises(SystemExit, match=r"outside \(0, ln 10 = 2\.30\); nothing written"):
        ship.label_gain("mnist_conditional", MODEL, nats)


def test_no_unconditional_card_ships_nothing(ship, monkeypatch):
    monkeypatch.setattr(presets, "model_card", lambda name: None)
    with pytest.raises(SystemExit, match="'mnist' to compare it with is missing"):
        ship.label_gain("mnist_conditional", MODEL, 78.0)


SHIPPED = {"preset": "mnist", "recipe": {"learning_rate": 2e-3}, "steps": 15000, "epochs": 54,
           "validation_nats_per_image": 80.58, "date": "2026-12-02"}


def _second_cycle(nats):
    return {"recipe": {"learning_rate": 1e-3, "initial_weights": "mnist"}, "steps": 15000,
            "epochs": 54, "validation_nats_per_image": nats, "date": "2026-12-07"}


def test_a_warm_restart_card_lists_both_cycles_and_counts_all_steps(ship, monkeypatch):
    monkeypatch.setattr(presets, "model_card", {"mnist": SHIPPED}.get)
    second = _second_cycle(80.1)
    got = ship.cycles("mnist", {"initial_weights": "mnist"}, second)
    assert got["cycles"] == [ship._cycle(SHIPPED), second]
    assert got["cycles"][0]["validation_nats_per_image"] == 80.58
    assert (got["steps"], got["epochs"]) == (30000, 108)
    # A third cycle keeps the two before it, from the card it replaces.
    monkeypatch.setattr(presets, "model_card", {"mnist": dict(second, **got)}.get)
    third = ship.cycles("mnist", {"initial_weights": "mnist"}, _second_cycle(79.9))
    assert [c["validation_nats_per_image"] for c in third["cycles"]] == [80.58, 80.1, 79.9]
    assert third["steps"] == 45000


@pytest.mark.parametrize("nats", [80.58, 81.0])
def test_a_warm_restart_that_does_not_improve_ships_nothing(ship, monkeypatch, nats):
    monkeypatch.setattr(presets, "model_card", {"mnist": SHIPPED}.get)
    with pytest.raises(SystemExit, match=f"scores {nats:.2f} .* shipped 'mnist' 80.58: not an"):
        ship.cycles("mnist", {"initial_weights": "mnist"}, _second_cycle(nats))


def test_a_run_from_scratch_has_no_cycles(ship, monkeypatch):
    monkeypatch.setattr(presets, "model_card", {"mnist": SHIPPED}.get)
    assert ship.cycles("mnist", {"initial_weights": None}, _second_cycle(70.0)) == {}
    assert ship.cycles("mnist", {"initial_weights": "other.weights.h5"}, _second_cycle(70.0)) == {}
