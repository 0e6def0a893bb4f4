"""Stream messages carry exactly the run's snapshot: frames every array but the points, in its wire type, and
every scalar; points messages the points."""
from __future__ import annotations

import numpy as np
import pytest

from backend.api.encoding import GRID_RANGE, FrameEncoder, decode, encode_points, quantise, symmetric_range
from backend.engine.config import Config
from backend.engine.features import FEATURES
from backend.engine.run import Run

CASES = {
    "default": (Config(), 0),
    "linear": (Config(hidden_layers=[], features=["x1_squared", "x2_squared"]), 0),
    "deep, third layer shown": (Config(hidden_layers=[8, 5, 3], features=list(FEATURES), activation="relu"), 2),
    "regression": (Config(dataset="plane", hidden_layers=[3]), 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_frame_decodes_to_the_runs_snapshot(case):
    config, view_layer = CASES[case]
    run = Run(config)
    snap = run.train(2)
    encoder = FrameEncoder(run, view_layer=view_layer)
    meta, arrays = decode(encoder.encode(snap, data_version=7))

    names = {"output", "gradient_norms", "update_ratios", "saturation"}
    names |= {f"{kind}.{i}" for i in range(len(snap.weights)) for kind in ("weights", "biases")}
    names |= {"neurons", "projection"} if snap.projections else set()
    assert set(arrays) == names

    np.testing.assert_array_equal(arrays["output"], quantise(snap.output))
    for name in ("gradient_norms", "update_ratios", "saturation"):
        np.testing.assert_array_equal(arrays[name], getattr(snap, name))
    for i, (w, b) in enumerate(zip(snap.weights, snap.biases)):
        np.testing.assert_array_equal(arrays[f"weights.{i}"], w.astype(np.float16))
        np.testing.assert_array_equal(arrays[f"biases.{i}"], b.astype(np.float16))
    if snap.projections:
        np.testing.assert_array_equal(arrays["neurons"], quantise(np.concatenate(snap.neurons)))
        shown = snap.projections[view_layer]
        np.testing.assert_array_equal(arrays["projection"], quantise(shown, *symmetric_range(shown)))
        assert meta["projection_range"] == list(symmetric_range(shown))

    assert meta["kind"] == "frame" and meta["epoch"] == 2 and meta["status"] == snap.status and meta["data_version"] == 7
    assert meta["train_loss"] == pytest.approx(snap.train_loss) and meta["test_loss"] == pytest.approx(snap.test_loss)
    assert meta["train_accuracy"] == snap.train_accuracy and meta["test_accuracy"] == snap.test_accuracy
    assert meta["probe_accuracy"] == snap.probe_accuracy
    assert meta["input_probe_accuracy"] == snap.input_probe_accuracy
    assert meta["layer_sizes"] == run.layer_sizes() and meta["view_layer"] == (view_layer if snap.projections else 0)
    assert meta["grid_range"] == list(GRID_RANGE)


@pytest.mark.parametrize("dataset", ["circle", "plane"])
def test_a_points_message_decodes_to_the_runs_points(dataset):
    run = Run(Config(dataset=dataset, num_samples=120, train_fraction=0.3))
    meta, arrays = decode(encode_points(run, data_version=3))
    assert meta == {"kind": "points", "data_version": 3}
    assert set(arrays) == {"train_points", "test_points"}
    assert arrays["train_points"].shape == (36, 3) and arrays["test_points"].shape == (84, 3)
    np.testing.assert_array_equal(arrays["train_points"], run.train_points.astype(np.float16))
    np.testing.assert_array_equal(arrays["test_points"], run.test_points.astype(np.float16))


def test_an_encoder_fits_until_the_network_or_the_view_changes():
    run = Run(Config())
    run.train(0)
    encoder = FrameEncoder(run, view_layer=1)
    assert encoder.fits(run, view_layer=1)
    assert not encoder.fits(run, view_layer=0)
    run.reconfigure(run.config.model_copy(update={"learning_rate": 0.1}))  # same network: still fits
    assert encoder.fits(run, view_layer=1)
    run.reconfigure(run.config.model_copy(update={"hidden_layers": [3]}))  # a new network
    assert not encoder.fits(run, view_layer=1)


def test_quantise_maps_the_range_to_bytes_rounding_clipping_and_centring_nan():
    values = np.asarray([-1.0, 1.0, 0.0, -5.0, 7.0, np.nan, np.inf, -np.inf, -1 + 2 / 255 * 0.49], np.float32)
    assert quantise(values).tolist() == [0, 255, 128, 0, 255, 128, 255, 0, 0]
    assert quantise(np.asarray([2.0, 3.0, 4.0], np.float32), 2.0, 4.0).tolist() == [0, 128, 255]
