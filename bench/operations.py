"""How many operations XLA launches for one frame: a figure that, unlike time, does not move with the machine.

On a CPU these small networks cost little arithmetic; almost all of a frame's time is the
per-operation cost of launching a few thousand small operations, so this count tracks the
engine's speed without the noise of a shared machine. It reads a jax.profiler trace of
Run.train(1) (the training-and-data program with one epoch, and the picture program).
Run: .venv/bin/python -m bench.operations [--frames 5]
"""
from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from backend.xla import use_server_defaults

use_server_defaults()  # XLA as the server runs it, set before JAX starts

import jax  # noqa: E402
from jax._src.lib import _profile_data  # jax's own reader of its trace files

from backend.engine.config import Config
from backend.engine.features import FEATURES
from backend.engine.run import Run

NETWORKS = {
    "default: [4, 2] on x1, x2": Config(),
    "6 × 8 on all 7 features": Config(hidden_layers=[8] * 6, features=list(FEATURES)),
    "largest: 10 × 16 on all 7 features": Config(hidden_layers=[16] * 10, features=list(FEATURES)),
}
NOT_OPERATIONS = ("end:", "Thunk", "Threadpool")  # executor bookkeeping and ends of events, not operations


def operations(config: Config, frames: int) -> collections.Counter:
    """Operations launched per frame, by name."""
    run = Run(config)
    run.train(1)  # compiled and warm
    with tempfile.TemporaryDirectory() as trace_dir:
        with jax.profiler.trace(trace_dir):
            for _ in range(frames):
                run.train(1)
        (trace,) = Path(trace_dir).rglob("*.xplane.pb")
        profile = _profile_data.ProfileData.from_file(str(trace))
    counts: collections.Counter = collections.Counter()
    for plane in profile.planes:
        for line in plane.lines:
            if line.name == "python":  # the Python thread's own events are calls, not XLA operations
                continue
            for event in line.events:
                if not event.name.startswith(NOT_OPERATIONS) and "PjRt" not in event.name:
                    counts[event.name] += 1
    return collections.Counter({name: n / frames for name, n in counts.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5, help="frames traced per network")
    args = parser.parse_args()
    steps = 25  # 250 training points in batches of 10
    print("| network | operations per frame (train(1)) | of which once per training step |")
    print("|---|---:|---:|")
    for name, config in NETWORKS.items():
        counts = operations(config, args.frames)
        per_step = sum(n for n in counts.values() if n >= steps) / steps
        print(f"| {name} | {sum(counts.values()):,.0f} | {per_step:.0f} |")


if __name__ == "__main__":
    main()
