"""The ConvNet lab's known results, measured: what the README and the lab's text state, over seeds.

For each dataset, after --epochs epochs from each of --seeds seeds: test accuracy with every test image
shifted 0-3 pixels (zero-filled, the mean of right, left, down and up; ConvRun.translation) for the default
ConvNet, an MLP on the pixels with about as many parameters (run.similar_mlp), the same ConvNet without
pooling, and a softmax on the pixels; then the layer view's linear probes (test accuracy per stage) of the
default network. tests/engine/test_convnet_training.py holds the claims these figures back.
Run: .venv/bin/python -m bench.convnet_results [--seeds 3] [--epochs 20]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from backend.xla import use_server_defaults

use_server_defaults()  # XLA as the server runs it, set before JAX starts

from backend.engine.convnet.config import ConvConfig, ConvLayer  # noqa: E402
from backend.engine.convnet.layerview import layer_view, representations  # noqa: E402
from backend.engine.convnet.run import ConvRun, similar_mlp  # noqa: E402

from . import machine  # noqa: E402

SHIFTS = range(4)  # pixels, as the lab's translation curve
NETWORKS = {  # name -> the config of a dataset and seed
    "default ConvNet": lambda c: c,
    "MLP of as many parameters": similar_mlp,
    "the ConvNet without pooling": lambda c: c.model_copy(
        update={"conv_layers": [ConvLayer(filters=layer.filters, kernel=layer.kernel, pooling="none")
                                for layer in c.conv_layers]}),
    "softmax on the pixels": lambda c: c.model_copy(update={"conv_layers": [], "dense_layers": []}),
}


def trained(config: ConvConfig, epochs: int) -> ConvRun:
    run = ConvRun(config)
    run.train(epochs * run.steps_per_epoch)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. n-1; means are over them")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    start, ticks = time.perf_counter(), machine.ticks()
    print(f"machine: {machine.describe()}")
    print(f"{args.epochs} epochs, seeds 0-{args.seeds - 1}\n")
    print("| dataset | network | parameters | test accuracy at 0 / 1 / 2 / 3 px (mean) | at 2 px, each seed |")
    print("|---|---|---:|---|---|")
    probes = {}
    for dataset in ("digits", "shapes"):
        for name, make in NETWORKS.items():
            runs = [trained(make(ConvConfig(dataset=dataset, seed=seed)), args.epochs) for seed in range(args.seeds)]
            curves = np.array([run.translation(SHIFTS) for run in runs]) * 100
            mean = " / ".join(f"{a:.1f}" for a in curves.mean(axis=0))
            seeds = ", ".join(f"{a:.1f}" for a in curves[:, 2])
            print(f"| {dataset} | {name} | {sum(runs[0].shape.parameter_counts()):,} | {mean} % | {seeds} % |",
                  flush=True)
            if name == "default ConvNet":
                probes[dataset] = [layer_view(representations(run)) for run in runs]
    print("\nthe default ConvNet's linear probes, test accuracy per stage (each seed):\n")
    for dataset, views in probes.items():
        for stage, per_seed in zip(views[0], zip(*views)):
            print(f"{dataset} {stage.name}: " + ", ".join(f"{s.probe_accuracy * 100:.1f}" for s in per_seed) + " %")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\nbench took {time.perf_counter() - start:.0f} s; the machine meanwhile: {idle:.0f} % idle, "
          f"{stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
