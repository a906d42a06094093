"""Starts a multi-worker job on this machine: N workers on 127.0.0.1, on free ports.

    keras-pixelrnn launch --workers 2 -- train --strategy multi-worker --preset small --out runs/mw

Each worker is `keras-pixelrnn <command>` with its own `TF_CONFIG` (the same
cluster, its own `task.index`); every line it prints is prefixed with
`[worker i]`. A worker killed by a signal is started again with the same
`TF_CONFIG`, up to `restarts` times in all, and rejoins the job (the others
restart in place and resume from the last backup). A worker that fails on its
own (bad arguments, a bug) ends the job: the others are stopped and its exit
status is the launcher's.

On real hosts, give each worker the same cluster and its own index:

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}' keras-pixelrnn train --strategy multi-worker ...
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

from keras_pixelrnn.utils import arguments


def free_ports(count, host="127.0.0.1"):
    """`count` distinct ports that nothing listens on now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(addresses):
    """One `TF_CONFIG` string per worker of the cluster `addresses`."""
    return [
        json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": i}})
        for i in range(len(addresses))
    ]


def _relay(stream, prefix, out):
    for line in iter(stream.readline, b""):
        out.write(prefix + line.decode(errors="replace"))
        out.flush()
    stream.close()


class Job:
    """N worker processes of one command, supervised (see the module's docstring).

    Args:
        command: the `keras-pixelrnn` arguments, e.g. `["train", "--strategy", "multi-worker", ...]`.
        workers: how many workers.
        restarts: how many times in all a worker killed by a signal is started again.
        env: the workers' environment (default: this process's).
        out: where their prefixed output goes (default: standard output).
        program: what runs `command` (default: `python -m keras_pixelrnn.cli`).
    """

    def __init__(self, command, workers=2, restarts=3, env=None, out=None, program=None):
        arguments.integer("workers", workers)
        arguments.integer("restarts", restarts, minimum=0)
        if not command:
            raise ValueError("launch needs a command to run, e.g. `-- train --strategy multi-worker ...`")
        self.command, self.restarts_left = list(command), restarts
        self.program = list(program or [sys.executable, "-m", "keras_pixelrnn.cli"])
        self.env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        self.out = out or sys.stdout
        self.addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
        self.configs = tf_configs(self.addresses)
        self.processes, self._relays = [None] * workers, []

    def start(self, index):
        """Starts (or starts again) worker `index`; returns its `Popen`."""
        process = subprocess.Popen(
            [*self.program, *self.command],
            env=dict(self.env, TF_CONFIG=self.configs[index]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        relay = threading.Thread(target=_relay, args=(process.stdout, f"[worker {index}] ", self.out),
                                 daemon=True)
        relay.start()
        self._relays.append(relay)
        self.processes[index] = process
        return process

    def stop(self):
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def run(self, poll=0.2):
        """Runs the job to its end; returns 0 when every worker finished."""
        for index in range(len(self.processes)):
            self.start(index)
        try:
            while True:
                codes = [process.poll() for process in self.processes]
                if all(code == 0 for code in codes):
                    return 0
                for index, code in enumerate(codes):
                    if code is None or code == 0:
                        continue
                    if code < 0 and self.restarts_left > 0:  # killed: start it again
                        self.restarts_left -= 1
                        self.out.write(f"[launch] worker {index} was killed (signal {-code}); "
                                       f"starting it again ({self.restarts_left} restart(s) left)\n")
                        self.start(index)
                        continue
                    self.out.write(f"[launch] worker {index} failed (exit status {code}); "
                                   f"stopping the job\n")
                    return code if code > 0 else 128 - code
                time.sleep(poll)
        finally:
            self.stop()
            for relay in self._relays:
                relay.join(timeout=5)
