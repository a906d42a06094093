"""Strategies, TF_CONFIG and the bad inputs of distributed training, without
starting a multi-worker job (tests/training/test_multi_worker.py does)."""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from keras_pixelrnn import cli
from keras_pixelrnn.training import distribute
from keras_pixelrnn.training.launch import free_ports, tf_configs

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
TWO = {"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
       "task": {"type": "worker", "index": 1}}


def test_tf_config_is_parsed():
    cluster = distribute.read_tf_config(json.dumps(TWO))
    assert cluster.num_workers == 2 and not cluster.is_chief
    assert cluster.address == "127.0.0.1:2223" and cluster.peers() == ["127.0.0.1:2222"]
    assert distribute.read_tf_config(json.dumps(dict(TWO, task={"type": "worker", "index": 0}))).is_chief
    with_chief = {"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "worker", "index": 0}}
    assert not distribute.read_tf_config(json.dumps(with_chief)).is_chief
    assert distribute.read_tf_config("") is None


@pytest.mark.parametrize("config, problem", [
    ("{not json", "is not JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), "needs a 'cluster'"),
    (json.dumps(dict(TWO, cluster={"worker": []})), "non-empty list"),
    (json.dumps(dict(TWO, cluster={"worker": ["localhost"]})), "not 'host:port'"),
    (json.dumps(dict(TWO, cluster={"worker": ["a:99999"]})), "not 'host:port'"),
    (json.dumps(dict(TWO, cluster={"worker": ["a:1", "a:1"]})), "twice"),
    (json.dumps(dict(TWO, cluster={"ps": ["a:1"], "worker": ["b:1"]})), "only 'worker' and 'chief'"),
    (json.dumps({"cluster": TWO["cluster"]}), "needs a 'task'"),
    (json.dumps(dict(TWO, task={"type": "chief", "index": 0})), "task.type 'chief'"),
    (json.dumps(dict(TWO, task={"type": "worker", "index": 2})), "task.index 2, outside [0, 2)"),
    (json.dumps(dict(TWO, task={"type": "worker", "index": "0"})), "task.index '0'"),
])
def test_bad_tf_config_names_the_problem_and_echoes_it(config, problem):
    with pytest.raises(ValueError) as error:
        distribute.read_tf_config(config)
    assert problem in str(error.value) and f"Received: TF_CONFIG={config}" in str(error.value)


def test_global_batch_must_split_over_the_replicas():
    assert distribute.check_global_batch(16, 4) == 4
    with pytest.raises(ValueError, match=r"divisible by the number of replicas \(2\).*--batch-size 7"):
        distribute.check_global_batch(7, 2)


def test_more_gpus_than_there_are(monkeypatch):
    fake = [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")]
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: fake if kind == "GPU" else [])
    with pytest.raises(ValueError, match=r"more GPUs than this machine has \(1\).*--devices 2"):
        distribute.configure_devices(2)


@pytest.mark.parametrize("strategy, devices, message", [
    ("one-device", 2, "one-device trains on one device. Received: --devices 2"),
    ("auto", 0, "`devices` must be a positive integer. Received: devices=0"),
])
def test_bad_strategy_and_devices(strategy, devices, message):
    with pytest.raises(ValueError, match=message):
        distribute.check_devices(strategy, devices)


def test_multi_worker_devices_pick_gpus():
    """`--devices 2` under multi-worker picks GPUs: refused on a machine
    without one (each worker trains on its one CPU device), accepted on one
    with GPUs."""
    if tf.config.list_physical_devices("GPU"):
        distribute.check_devices("multi-worker", 2)
    else:
        with pytest.raises(ValueError, match="picks GPUs, and this machine has none. "
                                             "Received: --devices 2"):
            distribute.check_devices("multi-worker", 2)


TRAIN = ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4", "--levels", "2",
         "--image-shape", "6,5,1", "--dataset", "unused.npy", "--out", "unused"]


def test_multi_worker_without_tf_config(monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(TRAIN + ["--strategy", "multi-worker"]) == 2
    assert "--strategy multi-worker needs the TF_CONFIG" in capsys.readouterr().err


def test_multi_worker_with_a_malformed_tf_config(monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}}')
    assert cli.main(TRAIN + ["--strategy", "multi-worker"]) == 2
    err = capsys.readouterr().err
    assert "TF_CONFIG needs a 'task' object" in err and "Received: TF_CONFIG=" in err


def test_launcher_gives_each_worker_its_index():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    configs = [json.loads(c) for c in tf_configs([f"127.0.0.1:{p}" for p in ports])]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(distribute.read_tf_config(json.dumps(c)).num_workers == 3 for c in configs)


@pytest.mark.slow
def test_a_worker_whose_peer_never_comes_fails_in_bounded_time(tmp_path):
    ports = free_ports(2)
    config = tf_configs([f"127.0.0.1:{p}" for p in ports])[0]
    result = subprocess.run(
        [sys.executable, "-m", "keras_pixelrnn.cli", *TRAIN[:-4], "--dataset", "x.npy",
         "--out", str(tmp_path / "run"), "--strategy", "multi-worker", "--peer-timeout", "3"],
        env=dict(ENV, TF_CONFIG=config), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stderr[-2000:]  # ended by its deadline
    assert "could not reach all of its peers" in result.stderr
    assert "Traceback" not in result.stderr and "Timeout (" not in result.stderr
    assert f"127.0.0.1:{ports[1]}" in result.stderr and "--peer-timeout 3 s" in result.stderr
    assert not (tmp_path / "run").exists()
