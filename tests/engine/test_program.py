"""The compiled programs: once warm, no setting change traces (and so compiles) again."""
from collections import Counter

import numpy as np
import pytest

from backend.engine import program
from backend.engine.config import Config
from backend.engine.features import FEATURES
from backend.engine.network import MAX_WIDTH
from backend.engine.run import Run, warm_up as warm_up_network, warmup_networks

DEPTHS = {0: [], 2: [4, 2], 8: [8] * 8}  # networks of three depths, all served by the same programs
CUSTOM = [[1.0, 2.0, 1.0], [-3.0, 0.5, -1.0], [2.5, -4.0, 1.0], [-1.0, -1.0, -1.0], [0.0, 5.0, 1.0]]


def warm_up() -> None:
    """What the server's warm-up does: every network of run.warmup_networks, which are all of one depth."""
    for config in warmup_networks():
        warm_up_network(config)


# Changes applied one after another to one run; each is tried on a run of every depth.
CHANGES = [
    {"learning_rate": 0.3},
    {"learning_rate": 1e-4},
    {"batch_size": 1},
    {"batch_size": 64},
    {"optimizer": "momentum"},
    {"optimizer": "adam"},
    {"optimizer": "sgd"},
    {"activation": "relu"},
    {"activation": "sigmoid"},
    {"activation": "sin"},
    {"features": ["x1_squared", "x2_squared", "sin_x1"]},
    {"features": list(FEATURES)},
    {"dataset": "spiral"},
    {"dataset": "plane"},
    {"dataset": "multigauss", "noise": 30.0},
    {"dataset": "custom", "custom_points": CUSTOM},
    {"dataset": "gauss", "custom_points": []},
    {"num_samples": 50},
    {"num_samples": 2000},
    {"train_fraction": 0.1},
    {"train_fraction": 0.9},
    {"regularization": "l1", "regularization_rate": 0.01},
    {"regularization": "l2", "regularization_rate": 3.0},
    {"regularization": "none"},
    {"init": "xavier"},
    {"init": "he", "init_scale": 0.1},
    {"init": "lecun"},
    {"loss": "cross_entropy"},
    {"loss": "squared"},
    {"seed": 12345},
    {"noise": 50.0},
]


@pytest.fixture(scope="module")
def warm() -> tuple[Counter, Counter]:
    warm_up()
    return Counter(program.TRACES), Counter(program.EXECUTABLES)


@pytest.mark.parametrize("depth", DEPTHS)
def test_no_setting_change_traces_again(warm, depth):
    run = Run(Config(hidden_layers=DEPTHS[depth]))
    run.train(1)
    for change in CHANGES:
        config = run.config.model_copy(update=change)
        run.reconfigure(config)
        run.train(1)
        run.train(0)
        Run(config).train(1)
    # Different widths at the same depth share a program up to NARROW units and another above it (and every
    # width has its picture program).
    for widths in ([3] * depth, [1, 7][:depth] + [5] * (depth - 2), [16] * depth if depth != 2 else [1, 16]):
        run.reconfigure(run.config.model_copy(update={"hidden_layers": widths}))
        run.train(1)
    for hidden in ([3], [5, 7, 2], [16, 1, 16], [2] * 10):
        run.reconfigure(run.config.model_copy(update={"hidden_layers": hidden, "optimizer": "momentum"}))
        run.train(1)
    run.predict(np.zeros((7, 2)))
    run.reset(seed=3)
    run.train(1)
    # Nothing traced again, and nothing compiled at all: no program, no eager operation.
    assert (program.TRACES, program.EXECUTABLES) == warm


def test_predict_serves_any_number_of_points_with_one_program(warm):
    run = Run(Config())
    for n in (1, 5, 999, 1500, 4097):
        assert run.predict(np.zeros((n, 2))).shape == (n,)
    assert (program.TRACES, program.EXECUTABLES) == warm


@pytest.mark.parametrize("config", [
    Config(),
    Config(hidden_layers=[8, 3], features=list(FEATURES), activation="relu", optimizer="adam",
           regularization="l1", regularization_rate=0.003, batch_size=7),
    Config(hidden_layers=[], features=["x1_squared", "x2_squared"], optimizer="momentum", regularization="l2",
           regularization_rate=0.01),
], ids=["default", "relu adam l1", "linear momentum l2"])
def test_a_narrow_network_trains_and_looks_alike_in_its_narrow_and_wide_programs(config):
    """Cutting a network's padding (program.advance at width NARROW) changes nothing it computes."""
    run = Run(config)
    assert program.train_width(config.hidden_layers) < MAX_WIDTH
    run.train(3)  # optimiser states and projection axes under way
    epochs = np.int32(4)
    results = [
        program.train(run.packed, run.packed_config, run.data, run.axes, epochs, train_width=width)
        for width in (program.train_width(config.hidden_layers), MAX_WIDTH)
    ]
    for narrow, wide in zip(*results):
        np.testing.assert_allclose(np.asarray(narrow), np.asarray(wide), rtol=1e-5, atol=1e-6)
