"""The ConvNet lab's default network trained in the browser with TensorFlow.js, beside ours (bench/convnet.py).

The same network (two 3 × 3 convolutions of 8 and 16 filters with relu and 2 × 2 max pooling, dense 32, softmax
over 10; He init, L2 1e-4 on the weights, Adam 0.01, batch 64) on the same 1,437 training digits (the lab's
fixed split), built with tf.layers in headless Debian Chromium and trained as a page would: one awaited
model.trainOnBatch per mini-batch, on each of TensorFlow.js's backends that starts here ('webgl' runs on
whatever renderer Chromium finds: without a GPU, SwiftShader, its software one). Not 'wasm':
@tensorflow/tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train a convolution.
Each figure is the median over --repeats timed runs of --steps mini-batches, after a warm-up; ours is
bench/convnet.py's figure for the default network, measured in the same run after the browser closes.
The page is served from bench/node_modules (`npm ci --prefix bench`, which `make bench` runs: tfjs is pinned in
bench/package.json, apart from the page's tools, so the tests never install it) by Playwright's request
routing at a made-up origin; nothing is downloaded at run time, Chromium included.
Run: .venv/bin/python -m bench.browser_convnet [--repeats 5] [--steps 40] [--backends webgl,cpu]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from backend.engine.convnet.config import ConvConfig
from backend.engine.convnet.images import digits

from . import machine
from .convnet import measure

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's build; never a downloaded one
ORIGIN = "http://bench.invalid"  # answered by route(), never the network
TFJS = ROOT / "bench/node_modules/@tensorflow/tfjs/dist/tf.min.js"
WARMUP = 10  # untimed mini-batches first: WebGL compiles its shaders then
FILES = {  # path at ORIGIN -> (file, content type)
    "/tf.min.js": (TFJS, "text/javascript"),
    "/browser_convnet.js": (Path(__file__).with_suffix(".js"), "text/javascript"),
}
PAGE = '<!doctype html><meta charset="utf-8">' + "".join(f'<script src="{path}"></script>' for path in FILES)


def serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        return route.fulfill(body=PAGE, content_type="text/html")
    if path in FILES:
        file, kind = FILES[path]
        return route.fulfill(body=file.read_bytes(), content_type=kind)
    route.fulfill(status=404)


def browser_figures(backends: list[str], repeats: int, steps: int) -> tuple[str, dict]:
    """Chromium's version and, per backend, its measure() reply from browser_convnet.js."""
    if not TFJS.exists():
        raise SystemExit(f"{TFJS} is missing: run npm ci --prefix bench")
    config = ConvConfig()
    dataset = digits(config.seed)
    images, labels = dataset.train
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        replies = {}
        for backend in backends:  # a fresh page each: one backend's memory does not weigh on the next
            page = browser.new_page()
            page.route(f"{ORIGIN}/**", serve)
            page.goto(f"{ORIGIN}/")
            replies[backend] = page.evaluate(
                "(args) => measure(...args)",
                [backend, images.ravel().tolist(), labels.tolist(), dataset.side, len(dataset.classes),
                 config.batch_size, steps, repeats, WARMUP])
            page.close()
        version = browser.version
        browser.close()
    return version, replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per backend; the median is shown")
    parser.add_argument("--steps", type=int, default=40, help="mini-batches in a timed run")
    parser.add_argument("--backends", default="webgl,cpu", help="TensorFlow.js backends, comma-separated")
    args = parser.parse_args()
    start, ticks = time.perf_counter(), machine.ticks()
    chromium, replies = browser_figures(args.backends.split(","), args.repeats, args.steps)
    ours = measure(ConvConfig(), 11, 40)
    tfjs_version = json.loads((TFJS.parents[1] / "package.json").read_text())["version"]
    batch = ConvConfig().batch_size
    print(f"TensorFlow.js {tfjs_version} in headless Chromium {chromium}")
    print(f"machine: {machine.describe()}")
    print(f"default network on the 1,437 training digits, batch {batch}; medians of {args.repeats} runs of "
          f"{args.steps} awaited trainOnBatch calls, after {WARMUP}; ours: bench/convnet.py's default row\n")
    print("| trainer | runs on | parameters | loss on a training batch after | training images / s | ours ÷ this |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| ours (JAX, bench/convnet.py) | the server's CPU | {ours['parameters']:,} | | "
          f"{ours['images_per_s']:,.0f} | 1 |")
    for backend, r in replies.items():
        if "error" in r:
            print(f"| TensorFlow.js {backend} | unavailable: {r['error']} | | | | |")
            continue
        speed = batch * args.steps / statistics.median(r["seconds"])
        print(f"| TensorFlow.js {backend} | {r['detail']} | {r['parameters']:,} | {r['loss']:.3f} | {speed:,.0f} "
              f"| {ours['images_per_s'] / speed:.1f} |")
    idle, stolen = machine.idle_and_stolen(ticks, machine.ticks())
    print(f"\nbench took {time.perf_counter() - start:.0f} s; the machine meanwhile: {idle:.0f} % idle, "
          f"{stolen:.0f} % stolen by other guests")


if __name__ == "__main__":
    main()
