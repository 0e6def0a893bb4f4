"""Experiments: a definition expands into the grid of networks it says, refuses what it cannot train naming the
field, and its pieces report each network as the sweep trained it."""
import json
import math

import numpy as np
import pytest

from backend.engine import experiment as ex
from backend.engine.baselines import BASELINES
from backend.engine.config import MAX_SEED, Config
from backend.engine.data import make_dataset
from backend.engine.experiment import AxisValues, Definition, Invalid, expand
from backend.engine.lessons import LESSONS
from backend.engine.pieces import CHUNK, plan, run_piece
from backend.engine.sweep import sweep


def definition(*axes, **fields) -> Definition:
    return Definition(axes=[AxisValues(name=name, values=list(values)) for name, values in axes], **fields)


def test_a_grid_is_every_cell_times_every_seed_the_last_axis_fastest():
    networks = expand(definition(("activation", ["tanh", "relu"]), ("depth", [1, 3, 0]), seeds=2,
                                 base=Config(seed=40)))
    assert len(networks) == 2 * 3 * 2
    assert [n.index for n in networks] == list(range(12))
    assert [n.cell for n in networks[:6]] == [(0, 0), (0, 0), (0, 1), (0, 1), (0, 2), (0, 2)]
    assert [n.config.seed for n in networks[:2]] == [40, 41] and [n.seed for n in networks[:2]] == [0, 1]
    assert networks[3].config.activation == "tanh" and networks[3].config.hidden_layers == [4, 4, 4]
    assert networks[-1].config.activation == "relu" and networks[-1].config.hidden_layers == []


def test_depth_and_width_compose_whatever_their_order():
    for axes in ((("width", [7]), ("depth", [3])), (("depth", [3]), ("width", [7]))):
        assert expand(definition(*axes, seeds=1))[0].config.hidden_layers == [7, 7, 7]
    linear = Config(hidden_layers=[])
    assert expand(definition(("depth", [2]), seeds=1, base=linear))[0].config.hidden_layers == [ex.DEFAULT_WIDTH] * 2


def test_a_training_set_size_keeps_the_test_set_size():
    base = Config(num_samples=200, train_fraction=0.1)  # 20 training points, 180 test points
    for network in expand(definition(("train_size", [20, 100, 1500]), seeds=1, base=base)):
        data = make_dataset(network.config.dataset, seed=0, num_samples=network.config.num_samples,
                            noise=0, train_fraction=network.config.train_fraction)
        assert int(data.test.sum()) == 180
        assert int(data.train.sum()) == [20, 100, 1500][network.cell[0]]


def test_a_variant_sets_its_settings_together():
    variants = [{"label": "sigmoid", "settings": {"activation": "sigmoid", "init": "xavier"}},
                {"label": "relu", "settings": {"activation": "relu", "init": "he"}}]
    configs = [n.config for n in expand(definition(("variant", variants), seeds=1))]
    assert [(c.activation, c.init) for c in configs] == [("sigmoid", "xavier"), ("relu", "he")]


@pytest.mark.parametrize("axes, fields, loc", [
    ([("depthness", [1])], {}, ("axes", 0, "name")),
    ([("depth", [1]), ("depth", [2])], {}, ("axes", 1, "name")),
    ([("depth", [1, 2.5])], {}, ("axes", 0, "values", 1)),
    ([("depth", [1, 11])], {}, ("axes", 0, "values", 1)),
    ([("width", [0])], {}, ("axes", 0, "values", 0)),
    ([("activation", ["relu", "swish"])], {}, ("axes", 0, "values", 1)),
    ([("learning_rate", [0.1, float("nan")])], {}, ("axes", 0, "values", 1)),
    ([("learning_rate", [True])], {}, ("axes", 0, "values", 0)),
    ([("init_scale", [0])], {}, ("axes", 0, "values", 0)),
    ([("features", [["x1", "x1"]])], {}, ("axes", 0, "values", 0)),
    ([("variant", [{"label": "x", "settings": {"colour": 1}}])], {}, ("axes", 0, "values", 0)),
    ([("variant", [{"label": "", "settings": {}}])], {}, ("axes", 0, "values", 0)),
    ([("train_size", [5000])], {}, ("axes", 0, "values", 0)),
    ([("depth", range(10)), ("width", range(1, 11))], {"seeds": 11}, ("seeds",)),
    ([("width", [16]), ("depth", [10])], {"seeds": 20, "epochs": 5000, "base": Config(num_samples=2000)}, ("epochs",)),
    ([("dataset", ["circle", "plane"])], {"baselines": True}, ("baselines",)),
    ([("depth", [10**400])], {}, ("axes", 0, "values", 0)),  # JSON allows it; a float does not
    ([("learning_rate", [-10**400])], {}, ("axes", 0, "values", 0)),
    ([], {"seeds": 2, "base": Config(seed=MAX_SEED)}, ("seeds",)),
    ([("noise", [0, 10])], {"base": Config(dataset="custom", custom_points=[[0, 0, 1], [1, 1, -1]])}, ("axes", 0, "name")),
    ([("depth", [10]), ("width", [16])], {"seeds": 1, "epochs": 5000, "base": Config(num_samples=2000, train_fraction=0.9)},
     ("epochs",)),  # one network too long to train in one piece
    ([("noise", range(12))], {"seeds": 20, "epochs": 0, "baselines": True, "base": Config(num_samples=2000,
                                                                                      train_fraction=0.9)},
     ("epochs",)),  # nothing to train, but 240 grid searches on 1,800 points
    ([("train_size", range(30, 39)), ("width", [2, 3])], {"seeds": 1, "epochs": 1}, ("axes",)),  # 18 programs
])
def test_a_definition_no_network_can_take_is_refused_naming_the_field(axes, fields, loc):
    with pytest.raises(Invalid) as refused:
        plan(definition(*axes, **fields))
    assert refused.value.loc == loc
    assert str(refused.value)


def test_values_that_fit_alone_but_not_together_name_the_axes():
    with pytest.raises(Invalid) as refused:  # each fits the base alone; together: 1,500 + 1,000 test points
        expand(definition(("train_size", [1500]), ("variant", [{"label": "big", "settings": {"num_samples": 2000}}])))
    assert refused.value.loc == ("axes",) and "train_size 1500" in str(refused.value)


def test_every_lesson_is_a_valid_definition_within_the_limits():
    for lesson in LESSONS:
        networks = expand(Definition.model_validate(lesson.to_json()["experiment"]))
        assert 0 < len(networks) <= ex.MAX_NETWORKS
        axes = {a.name for a in lesson.experiment.axes} | {"model"}
        for p in lesson.plots:
            assert p.kind in ("measure", "curve", "histogram")
            assert set(p.series) <= axes and (p.kind != "measure" or p.x in axes)
            assert (p.y in ex.MEASURES) if p.kind == "measure" else (p.y in ex.CURVES or p.kind == "histogram")


def test_a_group_larger_than_a_piece_splits_into_pieces_of_one_size():
    rates = [0.001 * (k + 1) for k in range(11)]  # the learning rate is each network's own: one group
    the_plan = plan(definition(("learning_rate", rates), seeds=13, epochs=0))  # 143 networks
    assert CHUNK * 2 < 143 <= CHUNK * 3
    sizes = [len(p.networks) + p.padding for p in the_plan.pieces]
    assert len(sizes) == 3 and len(set(sizes)) == 1 and sizes[0] <= CHUNK
    assert sum(p.padding for p in the_plan.pieces) == 3 * sizes[0] - 143
    assert sorted(n.index for p in the_plan.pieces for n in p.networks) == list(range(143))


def test_a_pieces_rows_are_the_networks_as_the_sweep_trains_them():
    d = definition(("depth", [1, 2]), ("activation", ["tanh", "sigmoid"]), seeds=3, epochs=12, record=4)
    the_plan = plan(d)
    rows = sorted((row for p in the_plan.pieces for row in run_piece(the_plan, p)), key=lambda r: r["index"])
    alone = sweep([n.config for n in the_plan.networks], 12, record=4)
    assert [r["index"] for r in rows] == list(range(12))
    for row, network, result in zip(rows, the_plan.networks, alone):
        assert Config(**row["config"]) == network.config and row["cell"] == list(network.cell)
        assert row["epochs"] == result.epochs.tolist()
        np.testing.assert_allclose(row["curves"]["test_loss"], result.test_loss, rtol=1e-4)
        np.testing.assert_allclose(row["measures"]["test_accuracy"], result.test_accuracy[-1], rtol=1e-4)
        norms = result.initial_gradient_norms
        np.testing.assert_allclose(row["measures"]["gradient_ratio"], norms[0] / norms[-1], rtol=1e-4)
        assert np.array(row["activations"]["histogram"]).shape == result.histogram.shape
        json.dumps(row, allow_nan=False)


def test_a_diverged_network_reports_null_not_nan():
    d = definition(seeds=1, epochs=30, base=Config(dataset="plane", learning_rate=10, init_scale=100,
                                                    hidden_layers=[8, 8], activation="relu"))
    the_plan = plan(d)
    [row] = run_piece(the_plan, the_plan.pieces[0])
    text = json.dumps(row, allow_nan=False)  # raises on NaN or infinity
    assert row["measures"]["test_accuracy"] is None  # a regression has no accuracy
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in row["measures"].values()) and text


def test_baselines_fit_each_dataset_once_and_keep_only_the_data_axes():
    d = definition(("train_size", [30, 60]), ("depth", [1, 2]), seeds=2, epochs=0, baselines=True)
    the_plan = plan(d)
    baseline_pieces = [p for p in the_plan.pieces if p.kind == "baselines"]
    assert len(baseline_pieces) == 2 * 2  # sizes × seeds: the depths share their data
    rows = [r for p in baseline_pieces for r in run_piece(the_plan, p)]
    assert {r["cell"][1] for r in rows} == {None} and {r["cell"][0] for r in rows} == {0, 1}
    assert {r["model"] for r in rows} == set(BASELINES)
    assert len({r["index"] for r in rows} | {n.index for n in the_plan.networks}) == len(rows) + len(the_plan.networks)


def test_compiled_sweep_programs_are_dropped_beyond_the_limit():
    from backend.engine.sweep_program import forget_programs, train_networks

    d = definition(("width", [2, 3]), seeds=1, epochs=1)
    the_plan = plan(d)
    for piece in the_plan.pieces:
        run_piece(the_plan, piece)
    held = train_networks._cache_size()
    assert held >= 2
    assert not forget_programs(keep=held) and train_networks._cache_size() == held
    assert forget_programs(keep=held - 1) and train_networks._cache_size() == 0


def test_a_variant_that_changes_the_data_keeps_its_place_in_the_baselines_cells():
    noisy = [{"label": "clean", "settings": {"noise": 0}}, {"label": "noisy", "settings": {"noise": 30}}]
    shapes = [{"label": "small", "settings": {"hidden_layers": [2]}}, {"label": "large", "settings": {"hidden_layers": [8]}}]
    d = definition(("variant", noisy), ("width", [2, 4]), seeds=1, epochs=0, baselines=True)
    the_plan = plan(d)
    baselines = [p for p in the_plan.pieces if p.kind == "baselines"]
    assert len(baselines) == 2  # one dataset per noise, shared by both widths
    rows = [r for p in baselines for r in run_piece(the_plan, p)]
    assert {tuple(r["cell"]) for r in rows} == {(0, None), (1, None)}
    d = definition(("variant", shapes), seeds=1, epochs=0, baselines=True)
    the_plan = plan(d)
    [piece] = [p for p in the_plan.pieces if p.kind == "baselines"]  # the network changes, not the data
    assert {tuple(r["cell"]) for r in run_piece(the_plan, piece)} == {(None,)}
