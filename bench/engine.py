"""The engine alone: compile time, time per training epoch and per frame, for three networks.

Every figure is a median over --repeats timed calls of Run.train, which trains, computes the frame
and copies it to the host, as the stream does. An epoch's cost is (train(E) − train(0)) / E,
each pair timed back to back: the frame's share cancels. Compiles are real: the
persistent cache is off here. Figures move with other load on the machine.
Run: .venv/bin/python -m bench.engine [--repeats 21] [--epochs 50]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

from backend.xla import use_server_defaults

use_server_defaults()  # XLA as the server runs it, set before JAX starts

import jax  # noqa: E402

jax.config.update("jax_enable_compilation_cache", False)

from backend.engine import program  # noqa: E402  (after the cache is switched off)
from backend.engine.config import Config  # noqa: E402
from backend.engine.features import FEATURES  # noqa: E402
from backend.engine.run import Run  # noqa: E402

from . import machine  # noqa: E402

# 250 training points (500 × 0.5) in batches of 10: 25 steps an epoch.
SETTINGS = dict(num_samples=500, train_fraction=0.5, batch_size=10)
NETWORKS = {
    "default: [4, 2] on x1, x2": Config(**SETTINGS),
    "largest: 10 × 16 on all 7 features": Config(**SETTINGS, hidden_layers=[16] * 10, features=list(FEATURES)),
    "6 × 8 on all 7 features": Config(**SETTINGS, hidden_layers=[8] * 6, features=list(FEATURES)),
}


def timed(call) -> float:
    """Seconds one call takes, the device included."""
    start = time.perf_counter()
    jax.block_until_ready(call())
    return time.perf_counter() - start


def measure(config: Config, repeats: int, epochs: int) -> dict:
    run = Run(config)
    compile_s = timed(lambda: run.train(0))  # the first call compiles this network's programs (per width, not depth)
    run.train(epochs)  # and one call with epochs to run, should it differ
    traces = sum(program.TRACES.values())
    stills, per_epoch, frames = [], [], []
    for _ in range(repeats):  # interleaved, so that a burst of load elsewhere touches every figure alike
        still = timed(lambda: run.train(0))
        stills.append(still)
        per_epoch.append((timed(lambda: run.train(epochs)) - still) / epochs)
        frames.append(timed(lambda: run.train(1)))
    still, epoch, frame = (statistics.median(v) for v in (stills, per_epoch, frames))
    return {
        "depth": run.depth,
        "compile_s": compile_s,
        "epoch_us": epoch * 1e6,
        "frame_us": frame * 1e6,
        "still_us": still * 1e6,
        "samples_per_s": run.dataset.n_train / epoch,
        "recompiles": sum(program.TRACES.values()) - traces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed calls per figure; the median is shown")
    parser.add_argument("--epochs", type=int, default=50, help="E in (train(E) − train(0)) / E")
    args = parser.parse_args()

    start, ticks = time.perf_counter(), machine.ticks()
    rows = {name: measure(config, args.repeats, args.epochs) for name, config in NETWORKS.items()}

    device = jax.devices()[0]
    print(f"device: {device.platform} ({device.device_kind}); jax {jax.__version__}; "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"machine: {machine.describe()}")
    print(f"{SETTINGS['num_samples']} points, {SETTINGS['train_fraction']:.0%} for training, "
          f"batch {SETTINGS['batch_size']}; medians of {args.repeats}; "
          f"epoch = (train({args.epochs}) − train(0)) / {args.epochs}\n")
    print("| network | depth | compile, s | µs / epoch | µs / frame (train(1)) | µs / frame without training (train(0)) "
          "| training samples / s | compiles after warm-up |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['depth']} | {r['compile_s']:.1f} | {r['epoch_us']:,.0f} | {r['frame_us']:,.0f} "
              f"| {r['still_us']:,.0f} | {r['samples_per_s']:,.0f} | {r['recompiles']} |")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\ntotal compiles after warm-up: {sum(r['recompiles'] for r in rows.values())}; "
          f"bench took {time.perf_counter() - start:.0f} s; the machine meanwhile: {idle:.0f} % idle, "
          f"{stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
