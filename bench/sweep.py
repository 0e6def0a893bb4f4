"""Sweeps: network-epochs per second for many default networks at once, beside the playground's one network.

The playground's rate is Run.train's: (train(E) − train(0)) / E, each pair timed back to back, so the
frame's share cancels. A sweep's rate is (sweep of 2E epochs − sweep of E) / E, so its fixed costs (making
the data and the networks on the host, the measurements, the activations) cancel; both medians over
--repeats, interleaved. Compiles are real: the persistent cache is off. The vanishing-gradient lesson is
timed whole, compiling included, as a person asking for it would wait for it.
Run: .venv/bin/python -m bench.sweep [--repeats 5] [--epochs 300] [--without-sharing]
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

from backend.engine.config import Config  # noqa: E402
from backend.engine.experiment import expand  # noqa: E402
from backend.engine.lessons import LESSON  # noqa: E402
from backend.engine.run import Run  # noqa: E402
from backend.engine.sweep import group_configs, sweep  # noqa: E402

from . import machine  # noqa: E402

SIZES = (1, 16, 64, 256)  # networks in one sweep
VANISHING = LESSON["vanishing-gradient"]


def timed(call) -> float:
    start = time.perf_counter()
    jax.block_until_ready(call())
    return time.perf_counter() - start


def playground_rate(repeats: int, epochs: int) -> float:
    """The default network's epochs per second in Run.train."""
    run = Run(Config())
    run.train(0), run.train(epochs)  # compile, warm
    per_epoch = []
    for _ in range(repeats):
        still = timed(lambda: run.train(0))
        per_epoch.append((timed(lambda: run.train(epochs)) - still) / epochs)
    return 1 / statistics.median(per_epoch)


def sweep_rate(size: int, repeats: int, epochs: int) -> dict:
    """`size` default networks (seeds 0 to size − 1) in one sweep: compile time, network-epochs per second in
    training, and in a whole sweep of E epochs (making each network's data and start on the host included)."""
    configs = [Config(seed=seed) for seed in range(size)]
    compile_s = timed(lambda: sweep(configs, epochs, record=2)) - timed(lambda: sweep(configs, epochs, record=2))
    wholes, per_epoch = [], []
    for _ in range(repeats):
        wholes.append(timed(lambda: sweep(configs, epochs, record=2)))
        per_epoch.append((timed(lambda: sweep(configs, 2 * epochs, record=2)) - wholes[-1]) / epochs)
    return {"compile_s": compile_s, "rate": size / statistics.median(per_epoch),
            "whole": size * epochs / statistics.median(wholes)}


def lesson(share_depths: bool) -> dict:
    """The vanishing-gradient lesson's sweep, timed from cold: its programs compiled first (bench/lessons.py
    times every lesson as the server runs it, in pieces)."""
    configs = [network.config for network in expand(VANISHING.experiment)]
    jax.clear_caches()  # the other way's deepest programs are this one's too
    seconds = timed(lambda: sweep(configs, VANISHING.experiment.epochs, share_depths=share_depths))
    return {"networks": len(configs), "programs": len(group_configs(configs, share_depths)), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed pairs per figure; the median is shown")
    parser.add_argument("--epochs", type=int, default=300, help="E in the rates above")
    parser.add_argument("--without-sharing", action="store_true",
                        help="time the lesson with a program per depth too (about a minute more)")
    args = parser.parse_args()

    start, ticks = time.perf_counter(), machine.ticks()
    alone = playground_rate(args.repeats, args.epochs)
    rows = {size: sweep_rate(size, args.repeats, args.epochs) for size in SIZES}
    lessons = [lesson(share_depths=True)] + ([lesson(share_depths=False)] if args.without_sharing else [])

    device = jax.devices()[0]
    print(f"device: {device.platform} ({device.device_kind}); jax {jax.__version__}; "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"machine: {machine.describe()}")
    print(f"default networks (500 points, 250 for training, batch 10); medians of {args.repeats}; "
          f"E = {args.epochs}\n")
    print("| networks | compile, s | network-epochs / s training | ÷ the playground's one network "
          "| network-epochs / s, the whole sweep of E | ÷ the playground's |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| the playground's one (Run.train) | | {alone:,.0f} | 1 | | |")
    for size, r in rows.items():
        print(f"| {size} | {r['compile_s']:.1f} | {r['rate']:,.0f} | {r['rate'] / alone:.1f} "
              f"| {r['whole']:,.0f} | {r['whole'] / alone:.1f} |")
    print(f"\nthe vanishing-gradient lesson: {lessons[0]['networks']} networks, {VANISHING.experiment.epochs} "
          "epochs, in one sweep, compiling included:")
    for taught in lessons:
        print(f"- in {taught['programs']} programs: {taught['seconds']:.1f} s")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\nbench took {time.perf_counter() - start:.0f} s; the machine meanwhile: {idle:.0f} % idle, "
          f"{stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
