"""An experiment's work cut into pieces, and what each piece reports: rows of plain values (docs/experiments.md).

A piece is one call: some networks of one group (sweep.group_configs) trained together in their program, or
the classic baselines fitted to one cell's data. Pieces bound how long the server's background lane is busy
between two looks at a cancel, how often the progress moves, and the memory one call takes (a group's
activations are points × units × layers × networks): at most CHUNK networks and PIECE_WORK of training, unless
one network alone is more (a piece trains its networks from the first epoch to the last). Every piece of a group has one size, the last padded
with copies of a network whose results are dropped: jax compiles a program once per number of networks, and a
padded network costs less than a second compile.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .config import finite_or_none
from .data import Dataset
from .experiment import AXES, CURVES, MEASURES, Definition, Network, expand, work_of
from .sweep import NetworkResult, dataset_of, group_configs, train_group
from .sweep_program import Group

CHUNK = 64  # networks one piece trains at most
PIECE_WORK = 2e9  # work_of a piece at most, where fewer networks than CHUNK reach it: several seconds
BASELINE_WORK = 2e5  # a baseline fit's work per training point, in work_of's multiply-adds (for the estimate only)
DIGITS = 5  # significant digits a row's numbers keep: a plot needs fewer, and a row of many numbers stays small


@dataclass(frozen=True)
class Piece:
    """Networks to train together in `group`'s program, or (group None) whose data the baselines fit."""

    group: Group | None
    networks: tuple[Network, ...]
    datasets: tuple[Dataset, ...]
    padding: int  # copies of the last network trained beside them, so that the group's pieces have one size
    work: float  # an estimate in work_of's units, for the time left


@dataclass(frozen=True)
class Plan:
    definition: Definition
    networks: tuple[Network, ...]
    pieces: tuple[Piece, ...]

    @property
    def work(self) -> float:
        return sum(p.work for p in self.pieces)


def plan(definition: Definition, networks: Sequence[Network] | None = None) -> Plan:
    """An experiment's pieces: each group's networks in pieces of at most CHUNK, then the baselines, one piece
    per distinct dataset (networks that differ only in their network share the baselines' fit)."""
    networks = tuple(expand(definition) if networks is None else networks)
    datasets = [dataset_of(n.config) for n in networks]
    pieces = []
    for group, members in group_configs([n.config for n in networks], datasets=datasets).items():
        most = max(work_of(networks[i].config, definition.epochs) for i in members)
        count = math.ceil(len(members) / max(1, min(CHUNK, int(PIECE_WORK // max(most, 1.0)))))
        size = math.ceil(len(members) / count)
        for start in range(0, len(members), size):
            part = members[start:start + size]
            pieces.append(Piece(group, tuple(networks[i] for i in part), tuple(datasets[i] for i in part),
                                size - len(part), sum(work_of(networks[i].config, definition.epochs) for i in part)))
    if definition.baselines:
        first: dict[tuple, int] = {}
        for i, n in enumerate(networks):
            first.setdefault(_data_key(n), i)
        pieces += [Piece(None, (networks[i],), (datasets[i],), 0, BASELINE_WORK * int(datasets[i].train.sum()))
                   for i in first.values()]
    return Plan(definition, networks, tuple(pieces))


def _data_key(network: Network) -> tuple:
    c = network.config
    return c.dataset, c.noise, c.num_samples, c.train_fraction, c.seed, tuple(map(tuple, c.custom_points))


def run_piece(plan: Plan, piece: Piece) -> list[dict]:
    """Do one piece; its rows."""
    if piece.group is None:
        return baseline_rows(plan, piece.networks[0], piece.datasets[0])
    configs = [n.config for n in piece.networks] + [piece.networks[-1].config] * piece.padding
    datasets = list(piece.datasets) + [piece.datasets[-1]] * piece.padding
    d = plan.definition
    results = train_group(piece.group, configs, d.epochs, d.record, datasets)
    return [network_row(n, r) for n, r in zip(piece.networks, results)]


def _number(value) -> float | None:
    value = finite_or_none(value)
    return None if value is None else float(f"{value:.{DIGITS}g}")


def _numbers(values) -> list:
    return [_numbers(v) for v in values] if hasattr(values, "__len__") else _number(values)


def network_row(network: Network, result: NetworkResult) -> dict:
    return {
        "index": network.index, "cell": list(network.cell), "seed": network.seed, "model": "network",
        "config": network.config.model_dump(mode="json"),
        "measures": {name: _number(m.of(result)) for name, m in MEASURES.items()},
        "epochs": result.epochs.tolist(),
        "curves": {name: _numbers(getattr(result, name)) for name in CURVES},
        "gradient_norms": _numbers(result.gradient_norms),
        "activations": {"mean": _numbers(result.activation_mean), "std": _numbers(result.activation_std),
                        "saturation": _numbers(result.saturation), "histogram": _numbers(result.histogram)},
    }


def baseline_rows(plan: Plan, network: Network, dataset: Dataset) -> list[dict]:
    """The classic baselines on a network's data: its cell kept for the axes that change the data only."""
    from .baselines import BASELINES, fit_baselines  # scikit-learn: imported where first used

    names = [a.name for a in plan.definition.axes]
    cell = [j if AXES[name].data else None for name, j in zip(names, network.cell)]
    return [{"index": len(plan.networks) + network.index * len(BASELINES) + k, "cell": cell, "seed": network.seed,
             "model": fit.method, "config": network.config.model_dump(mode="json"), "params": fit.params,
             "measures": {"test_accuracy": _number(fit.test_accuracy), "train_accuracy": _number(fit.train_accuracy)}}
            for k, fit in enumerate(fit_baselines(network.config, dataset=dataset))]
