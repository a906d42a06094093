"""Which devices and machines train: `tf.distribute` strategies for `keras-pixelrnn train`.

    --strategy auto          one device, or MirroredStrategy when --devices N > 1
    --strategy one-device    OneDeviceStrategy on the first GPU, else the CPU
    --strategy mirrored      MirroredStrategy over --devices N local devices
    --strategy multi-worker  MultiWorkerMirroredStrategy over the machines of TF_CONFIG

`--devices N` picks the first N GPUs where there are GPUs, and otherwise
splits the CPU into N logical devices. `--batch-size` is always the global
batch: each of the R replicas gets `batch_size / R` images of it.

A multi-worker job is described by the standard `TF_CONFIG` environment
variable, the same on every worker but for `task.index`:

    {"cluster": {"worker": ["host1:12345", "host2:12345"]},
     "task": {"type": "worker", "index": 0}}

Worker 0 is the chief (or the one `chief` task, where the cluster has one):
it alone writes the checkpoints, the logs and the final model.
"""

import faulthandler
import json
import os
import re
import subprocess
import sys

import tensorflow as tf

from keras_pixelrnn.utils import arguments

STRATEGIES = ("auto", "one-device", "mirrored", "multi-worker")
_ADDRESS = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class Cluster:
    """The parsed `TF_CONFIG`: the workers' addresses and this task's place."""

    def __init__(self, tasks, task_type, task_index):
        self.tasks, self.task_type, self.task_index = tasks, task_type, task_index

    @property
    def num_workers(self):
        return sum(len(addresses) for addresses in self.tasks.values())

    @property
    def is_chief(self):
        if "chief" in self.tasks:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0

    @property
    def address(self):
        return self.tasks[self.task_type][self.task_index]

    def peers(self):
        """The other tasks' addresses."""
        return [address for kind, addresses in self.tasks.items() for i, address in
                enumerate(addresses) if (kind, i) != (self.task_type, self.task_index)]


def read_tf_config(text=None):
    """Parses and checks `TF_CONFIG` (by default, the environment's).

    Returns a `Cluster`, or None where `TF_CONFIG` is unset or empty.
    Raises `ValueError` naming the problem where it is malformed or
    inconsistent.
    """
    text = os.environ.get("TF_CONFIG", "") if text is None else text
    if not text.strip():
        return None

    def bad(problem):
        return ValueError(f"TF_CONFIG {problem}. Received: TF_CONFIG={text}")

    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise bad(f"is not JSON ({error})") from None
    if not isinstance(config, dict):
        raise bad("must be a JSON object with 'cluster' and 'task'")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster:
        raise bad("needs a 'cluster' object, e.g. {\"worker\": [\"host1:port\", \"host2:port\"]}")
    unknown = sorted(set(cluster) - {"worker", "chief"})
    if unknown:
        raise bad(f"has cluster task types {unknown}; only 'worker' and 'chief' train here")
    seen = set()
    for kind, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise bad(f"cluster.{kind} must be a non-empty list of 'host:port' strings")
        for address in addresses:
            if not isinstance(address, str) or not _ADDRESS.match(address) or not (
                0 < int(address.rsplit(":", 1)[1]) < 65536
            ):
                raise bad(f"cluster.{kind} has {address!r}, which is not 'host:port'")
            if address in seen:
                raise bad(f"lists {address!r} twice")
            seen.add(address)
    if len(cluster.get("chief", [])) > 1:
        raise bad("has more than one chief")
    if not isinstance(task, dict):
        raise bad("needs a 'task' object, e.g. {\"type\": \"worker\", \"index\": 0}")
    task_type, task_index = task.get("type"), task.get("index")
    if task_type not in cluster:
        raise bad(f"has task.type {task_type!r}, which is not in the cluster {sorted(cluster)}")
    if isinstance(task_index, bool) or not isinstance(task_index, int) or not (
        0 <= task_index < len(cluster[task_type])
    ):
        raise bad(f"has task.index {task_index!r}, outside [0, {len(cluster[task_type])}) for "
                  f"the {len(cluster[task_type])} {task_type} task(s)")
    return Cluster(cluster, task_type, task_index)


def configure_devices(devices):
    """Makes `devices` local devices visible (before any TensorFlow op runs;
    `devices` checked by `check_devices`).

    With GPUs, the first `devices` of them; without, the CPU split into
    `devices` logical devices.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if devices > len(gpus):
            raise ValueError(
                f"--devices {devices} asks for more GPUs than this machine has ({len(gpus)}). "
                f"Received: --devices {devices}"
            )
        tf.config.set_visible_devices(gpus[:devices], "GPU")
    elif devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )


def check_devices(strategy, devices):
    """Checks `--strategy` and `--devices` together, before TensorFlow starts."""
    if strategy not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {STRATEGIES}. Received: --strategy {strategy}")
    arguments.integer("devices", devices)
    if strategy == "one-device" and devices != 1:
        raise ValueError(f"--strategy one-device trains on one device. Received: --devices {devices}")
    if strategy == "multi-worker" and devices > 1 and not tf.config.list_physical_devices("GPU"):
        raise ValueError(
            "--strategy multi-worker trains on one CPU device per worker; --devices N > 1 "
            f"picks GPUs, and this machine has none. Received: --devices {devices}"
        )


def check_global_batch(batch_size, replicas):
    """The per-replica batch; an error where `batch_size` does not split evenly."""
    if batch_size % replicas:
        raise ValueError(
            f"--batch-size is the global batch and must be divisible by the number of "
            f"replicas ({replicas}). Received: --batch-size {batch_size}"
        )
    return batch_size // replicas


_WATCHDOG = """
import sys
message = sys.argv[1]
if sys.stdin.buffer.read(1):  # the parent's deadline passed: it is ending with status 1
    sys.stderr.write(message + "\\n")
    sys.stderr.flush()
"""


class PeerDeadline:
    """Ends the process with exit status 1 and a message if the workers have
    not all met within `seconds`. Use as a context manager around the
    strategy's creation.

    `MultiWorkerMirroredStrategy` otherwise waits for a missing peer forever,
    inside a call that holds Python's lock, so that no Python thread or signal
    handler of this process can run. `faulthandler`'s timer runs in a thread
    of its own that needs no lock: at the deadline it writes the stack to a
    pipe and ends the process (`exit=True`: status 1). A small watchdog
    process on the other end of the pipe prints the message in place of the
    stack; told in time that the wait is over (the pipe closes empty), it
    prints nothing. The timer is the process's one `faulthandler` timer.
    """

    def __init__(self, seconds, cluster):
        self.seconds, self.cluster = seconds, cluster
        self._watchdog = self._alarm = None

    def message(self):
        return (
            f"error: worker {self.cluster.task_type}:{self.cluster.task_index} "
            f"({self.cluster.address}) could not reach all of its peers "
            f"{self.cluster.peers()} within --peer-timeout {self.seconds:g} s. Check that every "
            f"worker has been started, with the same TF_CONFIG 'cluster', and that the "
            f"addresses are reachable."
        )

    def __enter__(self):
        read, write = os.pipe()
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, self.message()], stdin=read,
        )
        os.close(read)
        self._alarm = os.fdopen(write, "w")
        faulthandler.dump_traceback_later(self.seconds, exit=True, file=self._alarm)
        return self

    def __exit__(self, *exc):
        faulthandler.cancel_dump_traceback_later()
        self._alarm.close()  # the wait is over: the watchdog ends, silent
        self._watchdog.wait()
        return False


def make_strategy(strategy="auto", devices=1, peer_timeout=300.0):
    """The `tf.distribute` strategy of `--strategy` and `--devices` (see the
    module's docstring). Call `check_devices` and `configure_devices` first.

    Returns `(strategy, cluster)`: `cluster` is the parsed `TF_CONFIG` of a
    multi-worker job, else None.
    """
    arguments.number("peer_timeout", peer_timeout, above=0)
    cluster = read_tf_config()
    if strategy == "multi-worker":  # before anything starts TensorFlow's runtime
        if cluster is None:
            raise ValueError(
                "--strategy multi-worker needs the TF_CONFIG environment variable, e.g. "
                'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}}\' (or use `keras-pixelrnn launch`). '
                "Received: TF_CONFIG unset"
            )
        with PeerDeadline(peer_timeout, cluster):
            return tf.distribute.MultiWorkerMirroredStrategy(), cluster
    gpus = tf.config.list_logical_devices("GPU")
    names = [device.name for device in (gpus or tf.config.list_logical_devices("CPU"))]
    if strategy == "one-device":
        return tf.distribute.OneDeviceStrategy(names[0]), None
    if strategy == "mirrored" or devices > 1:
        return tf.distribute.MirroredStrategy(devices=names[:devices]), None
    return tf.distribute.get_strategy(), None
