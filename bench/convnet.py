"""The ConvNet lab's engine: compile time, training throughput, the frame's own cost and size, per network.

Each figure is a median over --repeats timed calls of ConvRun.train, which trains, computes the frame and
copies it to the host, as a stream would. Training throughput is batch × S / (train(S) − train(0)), each
pair timed back to back so the frame's share cancels; "frame without training" is train(0): the test set's
accuracy and confusion matrix, one image's feature maps, the gradient flow. The layer view (every stage's
probe and projection) and the translation curve (the test set shifted 0-3 pixels) are asked for apart from
the frames: each is timed on its own, a median of three. The last row trains the default network with XLA's
own convolution (lax.conv_general_dilated) in place of the lab's shifted copies.
Run: .venv/bin/python -m bench.convnet [--repeats 11] [--steps 40]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from contextlib import contextmanager

from backend.xla import use_server_defaults

use_server_defaults()  # XLA as the server runs it, set before JAX starts

import jax  # noqa: E402

jax.config.update("jax_enable_compilation_cache", False)

from backend.engine.convnet import network, program  # noqa: E402
from backend.engine.convnet.config import ConvConfig, ConvLayer  # noqa: E402
from backend.engine.convnet.layerview import layer_view, representations  # noqa: E402
from backend.engine.convnet.run import ConvRun  # noqa: E402

from . import machine  # noqa: E402

LARGEST = dict(conv_layers=[ConvLayer(filters=16, kernel=5)] * 3, dense_layers=[64, 64])
NETWORKS = {
    "default on digits (8 × 8)": ConvConfig(),
    "default on shapes (16 × 16)": ConvConfig(dataset="shapes"),
    "largest on shapes: 3 × 16 5 × 5 filters, 64, 64": ConvConfig(dataset="shapes", **LARGEST),
    "no convolution (softmax on the pixels), digits": ConvConfig(conv_layers=[], dense_layers=[]),
}


def timed(call) -> float:
    start = time.perf_counter()
    jax.block_until_ready(call())
    return time.perf_counter() - start


def xla_convolve(maps, filters):
    return jax.lax.conv_general_dilated(maps, filters, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


@contextmanager
def convolution(convolve):
    """Networks traced meanwhile convolve with `convolve`, in a program of their own."""
    original, network.convolve = network.convolve, convolve
    program.train.forget()
    jax.clear_caches()
    try:
        yield
    finally:
        network.convolve = original
        program.train.forget()
        jax.clear_caches()


def measure(config: ConvConfig, repeats: int, steps: int) -> dict:
    run = ConvRun(config)
    compile_s = timed(lambda: run.train(0))
    run.train(steps)
    stills, per_step = [], []
    for _ in range(repeats):
        still = timed(lambda: run.train(0))
        stills.append(still)
        per_step.append((timed(lambda: run.train(steps)) - still) / steps)
    parameters = sum(run.shape.parameter_counts())
    view = statistics.median(timed(lambda: layer_view(representations(run))) for _ in range(3))
    translation = statistics.median(timed(lambda: run.translation(range(4))) for _ in range(3))
    frame_bytes = (program.frame_layout(run.shape, len(run.images.test[1])).size + parameters) * 4
    return {
        "compile_s": compile_s,
        "images_per_s": config.batch_size / statistics.median(per_step),
        "still_us": statistics.median(stills) * 1e6,
        "frame_kb": frame_bytes / 1000,
        "parameters": parameters,
        "view_ms": view * 1e3,
        "translation_ms": translation * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed pairs per figure; the median is shown")
    parser.add_argument("--steps", type=int, default=40, help="S, mini-batches in a timed training call")
    args = parser.parse_args()
    start, ticks = time.perf_counter(), machine.ticks()
    rows = {name: measure(config, args.repeats, args.steps) for name, config in NETWORKS.items()}
    with convolution(xla_convolve):
        rows["default on digits, XLA's convolution"] = measure(ConvConfig(), args.repeats, args.steps)
    device = jax.devices()[0]
    print(f"device: {device.platform} ({device.device_kind}); jax {jax.__version__}; "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"machine: {machine.describe()}")
    print(f"batch 64; medians of {args.repeats}; a step = (train({args.steps}) − train(0)) / {args.steps}\n")
    print("| network | parameters | compile, s | training images / s | µs / frame without training (train(0)) "
          "| frame and weights as float32, KB | layer view, ms | translation curve, ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['parameters']:,} | {r['compile_s']:.1f} | {r['images_per_s']:,.0f} "
              f"| {r['still_us']:,.0f} | {r['frame_kb']:.1f} | {r['view_ms']:.0f} | {r['translation_ms']:.0f} |")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\nbench took {time.perf_counter() - start:.0f} s; the machine meanwhile: {idle:.0f} % idle, "
          f"{stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
