"""Many playground networks trained at once, every one as Run trains it alone: a sweep over settings.

A sweep splits its configs into groups (`group_configs`); the networks of a group train side by side in one
compiled program (sweep_program.py), their arrays stacked along a networks axis. Each network keeps its
own seed (so its own weights, data and mini-batch order), learning rate, init, init scale, regularisation
and its rate, noise and dataset. A group shares:
- the number of features and the hidden layers' widths: the shapes of the weights. Networks whose hidden
  layers all have one width share a group whatever their depths (share_depths): each computes the deepest
  one's layers, those past its own depth passing their input through. The vanishing-gradient lesson
  (depths 1 to 10) then compiles 3 programs instead of 30 and computes about 1.8 times the hidden layers it
  needs; with a program per depth it took about five times as long, most of it compiling (bench/sweep.py
  --without-sharing);
- the activation and the output unit (so the loss, and whether the dataset is a regression): the program's
  functions, fixed when it is traced rather than a traced switch in every layer;
- the optimiser: a program steps the one it has, not all three;
- the training and test set sizes (the number of points and the train fraction) and the batch size: the
  steps an epoch and the points each batch and each measurement takes.
jax compiles a group's program once for each number of networks and of epochs measured at; the number of
epochs trained is traced, as is everything a network keeps for itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import numpy as np

from . import program
from .config import Config
from .data import Dataset, make_dataset
from .features import FEATURES, compute_features
from .network import MAX_WIDTH, make_arch
from .sweep_program import Activations, Group, Layer, Networks, Outcome, train_networks

RECORD = 11  # epochs a sweep measures its networks at by default, evenly spaced from 0 to the last
HISTOGRAM_EDGES = np.linspace(-2.0, 2.0, 41)  # the activations' bins, 0.1 wide; values beyond count in the end bins


@dataclass(frozen=True)
class NetworkResult:
    """One network of a sweep: its config and what it did. Per-layer arrays have depth + 1 entries, input side
    first: a weight layer's gradient norm, or the activations of the layer it feeds (the output unit last)."""

    config: Config
    epochs: np.ndarray  # (recorded,) the epochs measured at, 0 first, the last trained last
    train_loss: np.ndarray  # (recorded,) mean data loss, no penalty, as a frame reports it
    test_loss: np.ndarray
    train_accuracy: np.ndarray  # (recorded,) NaN for a regression, which has none
    test_accuracy: np.ndarray
    gradient_norms: np.ndarray  # (recorded, depth + 1) per weight layer, as a frame reports them
    activation_mean: np.ndarray  # (depth + 1,) at initialisation, over the training points and the layer's units
    activation_std: np.ndarray
    saturation: np.ndarray  # (depth + 1,) the share of slopes below frame.SATURATED of the steepest, as a frame's
    histogram: np.ndarray  # (depth + 1, bins) the share of activations in each bin of HISTOGRAM_EDGES

    @property
    def initial_gradient_norms(self) -> np.ndarray:
        return self.gradient_norms[0]

    @property
    def final_gradient_norms(self) -> np.ndarray:
        return self.gradient_norms[-1]


def dataset_of(config: Config) -> Dataset:
    """A network's data, as Run makes it."""
    return make_dataset(config.dataset, seed=config.seed, num_samples=config.num_samples, noise=config.noise,
                        train_fraction=config.train_fraction, custom_points=config.custom_points)


def group_of(config: Config, dataset: Dataset | None = None) -> Group:
    """The group of a config's network alone (group_configs may put it in a deeper one)."""
    dataset = dataset_of(config) if dataset is None else dataset
    return Group(
        features=len(config.features), hidden_layers=tuple(config.hidden_layers), activation=config.activation,
        output=config.output_activation, loss=config.effective_loss, optimizer=config.optimizer,
        n_train=int(dataset.train.sum()), n_test=int(dataset.test.sum()), batch_size=config.batch_size,
    )


def _uniform(group: Group) -> bool:
    return len(set(group.hidden_layers)) == 1


def _deepest(groups: Sequence[Group]) -> dict[Group, Group]:
    """Each group's program: itself, or for hidden layers of one width, the deepest such group otherwise alike."""
    family = lambda g: g._replace(hidden_layers=(g.hidden_layers[0],)) if _uniform(g) else g
    deepest: dict[Group, Group] = {}
    for g in groups:
        if family(g) not in deepest or len(g.hidden_layers) > len(deepest[family(g)].hidden_layers):
            deepest[family(g)] = g
    return {g: deepest[family(g)] for g in groups}


def group_configs(configs: Sequence[Config], share_depths: bool = True,
                  datasets: Sequence[Dataset] | None = None) -> dict[Group, list[int]]:
    """Which of `configs` (by index) train in which compiled program, groups in order of first appearance."""
    datasets = [dataset_of(c) for c in configs] if datasets is None else datasets
    own = [group_of(c, d) for c, d in zip(configs, datasets)]
    program_of = _deepest(own) if share_depths else {g: g for g in own}
    groups: dict[Group, list[int]] = {}
    for index, g in enumerate(own):
        groups.setdefault(program_of[g], []).append(index)
    return groups


def _network(config: Config, dataset: Dataset, group: Group) -> Networks:
    """One network's start, data and settings, unstacked: weights and key exactly as Run starts them
    (program.new_state), cut from the padded layout to the real units, and zero layers past its depth."""
    arch = make_arch(config.features, config.hidden_layers, config.activation, config.output_activation)
    state = program.STATE.unpack_host(program.new_state(config.seed, arch, config.init, config.init_scale))
    p, depth = state.params, len(config.hidden_layers)
    columns = [i for i, name in enumerate(FEATURES) if name in config.features]
    rows = [columns, *(range(width) for width in config.hidden_layers)]
    layers = [Layer(p.w[l][np.ix_(rows[l], range(width))], p.b[l][:width])
              for l, width in enumerate(config.hidden_layers)]
    width, padded_depth = (group.hidden_layers or (0,))[-1], len(group.hidden_layers)
    layers += [Layer(np.zeros((width, width), np.float32), np.zeros(width, np.float32))] * (padded_depth - depth)
    layers.append(Layer(p.w_out[rows[-1]][:, None], p.b_out[None]))
    ends = np.cumsum([0, *(count for count, _, _ in group.stacks)])
    stacks = tuple(Layer(*(np.stack(parts) for parts in zip(*layers[a:b]))) for a, b in zip(ends, ends[1:]))
    layer = np.arange(padded_depth + 1)  # the output layer last
    points = dataset.train | dataset.test  # the training points first (make_dataset's layout), then the test points
    f32 = lambda x: np.asarray(x, np.float32)
    rate = lambda kind: f32(config.regularization_rate if config.regularization == kind else 0.0)
    return Networks(
        layers=stacks, live=f32((layer < depth) | (layer == padded_depth)), key=state.key,
        inputs=f32(compute_features(dataset.x[points], arch.feature_mask, MAX_WIDTH)[:, columns]),
        labels=f32(dataset.y[points]), learning_rate=f32(config.learning_rate), l1=rate("l1"), l2=rate("l2"),
    )


def schedule_of(epochs: int, record: int | Sequence[int]) -> np.ndarray:
    """The epochs to measure at: `record` of them evenly spaced from 0 to `epochs` (fewer when there are not
    that many epochs), or those given; 0 and `epochs` always among them."""
    if isinstance(record, int):
        chosen = np.round(np.linspace(0, epochs, max(min(record, epochs + 1), 2))).astype(int)
    else:
        chosen = np.asarray(record, int)
    if epochs < 0 or np.any(chosen < 0) or np.any(chosen > epochs):
        raise ValueError(f"the epochs measured at lie between 0 and the epochs trained ({epochs})")
    return np.unique(np.concatenate([[0, epochs], chosen])).astype(np.int32)


def train_group(group: Group, configs: Sequence[Config], epochs: int, record: int | Sequence[int] = RECORD,
                datasets: Sequence[Dataset] | None = None) -> list[NetworkResult]:
    """Train the networks of `configs`, all of `group` (see group_configs), together in its program."""
    datasets = [dataset_of(c) for c in configs] if datasets is None else datasets
    own = [group_of(c, d) for c, d in zip(configs, datasets)]
    if any(_deepest([g, group])[g] != group for g in own):
        raise ValueError("each network must fit its group: the same settings, no deeper (see sweep.group_configs)")
    stacked = jax.tree.map(lambda *parts: np.stack(parts, axis=-1),
                           *(_network(c, d, group) for c, d in zip(configs, datasets)))
    schedule = schedule_of(epochs, record)
    outcome = jax.device_get(train_networks(stacked, schedule, group=group))
    stats = activity(outcome.activations)
    return [_result(config, schedule, outcome, stats, row, len(group.hidden_layers))
            for row, config in enumerate(configs)]


def sweep(configs: Sequence[Config], epochs: int, record: int | Sequence[int] = RECORD,
          share_depths: bool = True) -> list[NetworkResult]:
    """Train every config's network for `epochs` epochs, each group of them in one compiled program (see
    group_configs), and say what each did, in the order of `configs`. `record`: how many evenly spaced epochs
    to measure at (0 and the last among them), or which."""
    datasets = [dataset_of(c) for c in configs]
    results: list[NetworkResult | None] = [None] * len(configs)
    for group, members in group_configs(configs, share_depths, datasets).items():
        trained = train_group(group, [configs[i] for i in members], epochs, record, [datasets[i] for i in members])
        for index, result in zip(members, trained):
            results[index] = result
    return results  # type: ignore[return-value]


def activity(activations: Activations) -> dict[str, np.ndarray]:
    """Per network and layer, the activations' mean, standard deviation, saturation (networks, layers) and
    histogram (networks, layers, bins), on the host: they are computed once a sweep, and in the program they
    took longer to compile than its training loop."""
    bins = len(HISTOGRAM_EDGES) - 1
    per_layer = lambda f: np.concatenate([f(a) for a in activations.values], axis=0).T  # (networks, layers)
    low, high = HISTOGRAM_EDGES[0], HISTOGRAM_EDGES[-1]

    def histogram(a):
        which = np.clip(np.floor((a - low) * (bins / (high - low))), 0, bins - 1).astype(int)
        layers, points, units, networks = a.shape
        flat = (np.arange(layers)[:, None, None, None] * bins + which) * networks + np.arange(networks)
        counts = np.bincount(flat.ravel(), minlength=layers * bins * networks).reshape(layers, bins, networks)
        return counts / (points * units)

    return {
        "activation_mean": per_layer(lambda a: a.mean(axis=(1, 2))),
        "activation_std": per_layer(lambda a: a.std(axis=(1, 2))),
        "saturation": np.concatenate([s.mean(axis=(1, 2)) for s in activations.saturated], axis=0).T,
        "histogram": np.concatenate([histogram(a) for a in activations.values], axis=0).transpose(2, 0, 1),
    }


def _result(config: Config, schedule: np.ndarray, outcome: Outcome, stats: dict, row: int, padded_depth: int):
    """One network's NetworkResult: its own layers (those past its depth dropped) from its group's arrays."""
    depth = len(config.hidden_layers)
    layers = [*range(depth), padded_depth]  # the hidden layers it has and the output layer
    m = outcome.measures
    accuracy = lambda a: np.full(a.shape, np.nan) if config.regression else a
    return NetworkResult(
        config=config, epochs=schedule, train_loss=m.train_loss[:, row], test_loss=m.test_loss[:, row],
        train_accuracy=accuracy(m.train_accuracy[:, row]), test_accuracy=accuracy(m.test_accuracy[:, row]),
        gradient_norms=m.gradient_norms[:, layers, row],
        **{name: values[row, layers] for name, values in stats.items()},
    )
