"""Multi-worker training benchmark: what data parallelism costs and how fast a job recovers.

Trains the `small` preset (2-layer Diagonal BiLSTM, h=16, binary 28x28) on
`mnist_5k` digits through the command line a user runs, with the same global
batch in every arm, side by side in one run:

    fit           keras-pixelrnn train                            1 process, every core
    loop x1       keras-pixelrnn train --strategy multi-worker    1 worker (TF_CONFIG of one), every core
    loop 2x1core  keras-pixelrnn launch --workers 2 -- train ...  2 workers, each pinned to one core

and prints the median step time and images per second of the epochs after
the first (the first traces the graphs), over interleaved rounds. On a
2-core machine two workers cannot be faster than one process using both
cores: the figures show the overhead of the collectives and the loop.

Then it kills worker 1 (SIGKILL) during an epoch of a 2-worker job and
times the recovery: the kill, the chief's restart in place, the killed
worker started again by the launcher, and training going on from the last
backup.

    python benchmarks/multi_worker.py --rounds 2
    python benchmarks/multi_worker.py --devices 2     # a GPU machine: MirroredStrategy over 2 GPUs too
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from keras_pixelrnn.training.launch import Job, free_ports, tf_configs
from training import epoch_step_ms as step_times

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")


class Timed:
    """Collects output lines with the time each arrived."""

    def __init__(self, echo=False):
        self.lines, self.echo = [], echo

    def write(self, text):
        for line in text.splitlines():
            self.lines.append((time.time(), line))
            if self.echo:
                print("   ", line, flush=True)

    def flush(self):
        pass

    def text(self):
        return "\n".join(line for _, line in self.lines)


def train_args(args, out):
    return ["train", "--preset", "small", "--dataset", "mnist_5k", "--limit", str(args.limit),
            "--val-limit", "64", "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
            "--ema", "0", "--verbose", "2", "--seed", "0", "--out", out]


def run_fit(args, out, extra=()):
    result = subprocess.run([sys.executable, "-m", "keras_pixelrnn.cli", *train_args(args, out),
                             *extra], env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def run_one_worker(args, out):
    config = tf_configs([f"127.0.0.1:{free_ports(1)[0]}"])[0]
    result = subprocess.run(
        [sys.executable, "-m", "keras_pixelrnn.cli", *train_args(args, out), "--strategy", "multi-worker"],
        env=dict(ENV, TF_CONFIG=config), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def run_two_pinned_workers(args, out):
    """Two workers, worker i on core i (`taskset -c i`)."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    command = [*train_args(args, out), "--strategy", "multi-worker"]
    workers = [
        subprocess.Popen(["taskset", "-c", str(i), sys.executable, "-m", "keras_pixelrnn.cli", *command],
                         env=dict(ENV, TF_CONFIG=config), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for i, config in enumerate(tf_configs(addresses))
    ]
    outputs = [worker.communicate() for worker in workers]
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    return outputs[0][0]


def recovery(args, folder):
    """Seconds from killing worker 1 mid-epoch to the job training again."""
    out = os.path.join(folder, "recovery")
    sink = Timed()
    job = Job([*train_args(args, out)[:-1], out, "--strategy", "multi-worker", "--epochs", "6"],
              workers=2, restarts=1, env=ENV, out=sink)
    times = {}

    def kill():
        while not os.path.exists(os.path.join(out, "checkpoints", "epoch_002.keras")):
            time.sleep(0.05)
        time.sleep(2.0)  # into epoch 3
        times["kill"] = time.time()
        job.processes[1].send_signal(signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()
    assert job.run() == 0, sink.text()[-3000:]

    def first(pattern, after):
        return next(t for t, line in sink.lines if t > after and re.search(pattern, line))

    lost = first(r"\[worker 0\] lost a peer", times["kill"])
    resumed = first(r"\[worker 0\] resuming after epoch", times["kill"])
    epoch = first(r"\[worker 0\] \d+/\d+ - ", resumed)
    per_epoch = statistics.median(step_times(sink.text())) * int(args.limit / args.batch_size) / 1000
    return {"detected_s": lost - times["kill"], "resumed_s": resumed - times["kill"],
            "next_epoch_done_s": epoch - times["kill"], "epoch_s": per_epoch}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--limit", type=int, default=1024, help="training digits (an epoch)")
    parser.add_argument("--batch-size", type=int, default=16, help="the global batch")
    parser.add_argument("--devices", type=int, default=0, help="also time --devices N (GPUs)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="pixelrnn-bench-mw-")
    arms = {"fit, 1 process": run_fit, "loop, 1 worker": run_one_worker,
            "loop, 2 workers x 1 core": run_two_pinned_workers}
    if args.devices > 1:
        arms[f"fit, --devices {args.devices}"] = lambda a, o: run_fit(
            a, o, ["--strategy", "mirrored", "--devices", str(args.devices)])
    steps = {name: [] for name in arms}
    print(f"small preset, global batch {args.batch_size}, {args.limit} digits per epoch, "
          f"{args.epochs} epochs per run, {os.cpu_count()} cores", flush=True)
    for r in range(args.rounds):
        for name, arm in arms.items():
            times = step_times(arm(args, os.path.join(folder, f"{r}-{len(steps[name])}-{name[:4]}")))
            steps[name] += times
            print(f"  round {r + 1}: {name:26s} {times} ms/step", flush=True)
    reference = statistics.median(steps["fit, 1 process"])
    print(f"\n{'arm':28s} {'ms/step':>8s} {'steps/s':>8s} {'images/s':>9s} {'vs fit':>7s}")
    results = {}
    for name, values in steps.items():
        ms = statistics.median(values)
        results[name] = {"ms_per_step": ms, "steps_per_s": 1000 / ms,
                         "images_per_s": 1000 / ms * args.batch_size, "vs_fit": reference / ms}
        print(f"{name:28s} {ms:8.0f} {1000 / ms:8.2f} {1000 / ms * args.batch_size:9.1f} "
              f"{reference / ms:6.2f}x")
    rec = recovery(args, folder)
    results["recovery"] = rec
    print(f"\nworker 1 killed mid-epoch: the chief saw it after {rec['detected_s']:.1f} s, restored the "
          f"last backup after {rec['resumed_s']:.1f} s, and finished the next epoch "
          f"{rec['next_epoch_done_s']:.1f} s after the kill (an epoch takes {rec['epoch_s']:.1f} s)")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(results, f, indent=2)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
