"""An experiment's work cut into pieces, and what each piece reports: rows of plain values (docs/experiments.md).

A piece is one call: some playground networks of one group (sweep.group_configs) trained together in their
program, one ConvNet lab network, or the classic baselines fitted to one cell's data. Pieces bound how long the server's background lane is busy
between two looks at a cancel, how often the progress moves, and the memory one call takes (a group's
activations are points × units × layers × networks): at most CHUNK networks and PIECE_WORK of training, unless
one network alone is more (a piece trains its networks from the first epoch to the last). Every piece of a group has one size, the last padded
with copies of a network whose results are dropped: jax compiles a program once per number of networks, and a
padded network costs less than a second compile.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import Config, finite_or_none
from .convnet.config import ConvConfig
from .convnet.images import DATASETS as IMAGES, ImageSet, subset
from .data import Dataset
from .experiment import (BASELINE_WORK, CURVES, LABS, MAX_NETWORK_WORK, MAX_WORK, MEASURES, Definition, Invalid,
                         Network, convnet_work, expand, training_count)
from .sweep import NetworkResult, dataset_of, group_configs, schedule_of, train_group
from .sweep_program import MAX_PROGRAMS, Group

CHUNK = 64  # networks one piece trains at most
PIECE_WORK = 2e9  # multiply-adds of training a piece at most, where fewer networks than CHUNK reach it: seconds
DIGITS = 5  # significant digits a row's numbers keep: a plot needs fewer, and a row of many numbers stays small


@dataclass(frozen=True)
class Piece:
    """Playground networks to train together in `group`'s program, one ConvNet lab network (kind "convnet"), or
    (kind "baselines") a network whose data the baselines fit."""

    kind: str  # sweep | convnet | baselines
    group: Group | None
    networks: tuple[Network, ...]  # their data is made again when the piece runs: a queued plan stays small
    padding: int  # copies of the last network trained beside them, so that the group's pieces have one size
    work: float  # its multiply-adds of training (or fitting's worth), for the bounds and the time left


@dataclass(frozen=True)
class Plan:
    definition: Definition
    networks: tuple[Network, ...]
    pieces: tuple[Piece, ...]

    @property
    def work(self) -> float:
        return sum(p.work for p in self.pieces)


def plan(definition: Definition) -> Plan:
    """An experiment's pieces: each group's networks in pieces of at most CHUNK, then the baselines, one piece
    per distinct dataset (networks that differ only in their network share the baselines' fit). Invalid, naming
    the field, for more work, one network's or all of it, or more programs to compile than an experiment may
    take."""
    networks = tuple(expand(definition))
    if definition.lab == "convnet":
        pieces = [Piece("convnet", None, (n,), 0, convnet_work(n.config, definition.epochs)) for n in networks]
        programs = len({_convnet_program(n.config) for n in networks})
    else:
        pieces = _sweep_pieces(definition, networks, [dataset_of(n.config) for n in networks])
        programs = len({p.group for p in pieces})
    if definition.baselines:
        first: dict[tuple, Network] = {}
        for n in networks:
            first.setdefault(_data_key(definition, n), n)
        pieces += [Piece("baselines", None, (n,), 0, BASELINE_WORK * training_count(n.config)) for n in first.values()]
    _check(definition, pieces, programs)
    return Plan(definition, networks, tuple(pieces))


def _check(definition: Definition, pieces: list[Piece], programs: int) -> None:
    if programs > MAX_PROGRAMS:
        raise Invalid(("axes",), f"{programs} programs to compile (a few seconds each); at most {MAX_PROGRAMS}: "
                                 "fewer values of the axes that change shapes or the data's size")
    largest = max((p.work / (len(p.networks) + p.padding) for p in pieces if p.kind != "baselines"), default=0.0)
    if largest > MAX_NETWORK_WORK:
        raise Invalid(("epochs",), f"one network here is about {largest:.2g} multiply-adds of training; at most "
                                   f"{MAX_NETWORK_WORK:.2g} (fewer epochs, points or units)")
    work = sum(p.work for p in pieces)
    if work > MAX_WORK:
        raise Invalid(("epochs",), f"about {work:.2g} multiply-adds of training and fitting; at most {MAX_WORK:.2g} "
                                   "(fewer epochs, seeds, values, points or units)")


def _convnet_program(config: ConvConfig) -> tuple:
    """What a ConvNet lab network's training program is made for: its network, batch and training images."""
    return (tuple(config.conv_layers), tuple(config.dense_layers), config.activation, config.batch_size,
            config.dataset, training_count(config))


def images_of(config: ConvConfig) -> ImageSet:
    """A ConvNet lab network's images, as ConvRun makes them."""
    return subset(IMAGES[config.dataset](config.seed), config.train_images)


def data_of(config: Config | ConvConfig) -> Dataset | ImageSet:
    """A network's data: a ConvNet lab network's images, a playground network's points."""
    return images_of(config) if isinstance(config, ConvConfig) else dataset_of(config)


def _sweep_pieces(definition: Definition, networks: tuple[Network, ...], datasets: list[Dataset]) -> list[Piece]:
    pieces = []
    for group, members in group_configs([n.config for n in networks], datasets=datasets).items():
        each = definition.epochs * group.n_train * _weights(group)  # every network computes the deepest's layers
        count = math.ceil(len(members) / max(1, min(CHUNK, int(PIECE_WORK // max(each, 1.0)))))
        size = math.ceil(len(members) / count)
        for start in range(0, len(members), size):
            part = members[start:start + size]
            pieces.append(Piece("sweep", group, tuple(networks[i] for i in part), size - len(part), size * each))
    return pieces


def _weights(group: Group) -> int:
    """The weights each network of a group's program computes: the deepest network's (sweep.py)."""
    return sum(count * fan_in * fan_out for count, fan_in, fan_out in group.stacks)


def _data_key(definition: Definition, network: Network) -> str:
    """What a network's data is made from: networks with one key share their data and its baselines."""
    return repr([getattr(network.config, name) for name in LABS[definition.lab].data])


def run_piece(plan: Plan, piece: Piece) -> list[dict]:
    """Do one piece; its rows."""
    if piece.kind == "baselines":
        return baseline_rows(plan, piece.networks[0], data_of(piece.networks[0].config))
    if piece.kind == "convnet":
        return [network_row(piece.networks[0], train_convnet(piece.networks[0].config, plan.definition))]
    configs = [n.config for n in piece.networks] + [piece.networks[-1].config] * piece.padding
    datasets = [dataset_of(c) for c in configs]
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


def train_convnet(config: ConvConfig, definition: Definition) -> NetworkResult:
    """A ConvNet lab network trained as ConvRun trains it, measured at the recorded epochs. Its frames tell the
    losses and the test accuracy; what they do not tell (the training accuracy, the gradients and activations
    at initialisation) is NaN, null in its row."""
    from .convnet.run import ConvRun

    run, schedule, done = ConvRun(config), schedule_of(definition.epochs, definition.record), 0
    measured = []
    for epoch in schedule:
        frame = run.train(int(epoch - done) * run.steps_per_epoch).frame
        done = epoch
        measured.append((frame.train_loss, frame.test_loss, frame.test_accuracy))
    train_loss, test_loss, test_accuracy = np.asarray(measured, np.float64).T
    unknown = np.full(len(schedule), np.nan)
    layers = len(config.conv_layers) + len(config.dense_layers) + 1
    return NetworkResult(
        config=config, epochs=schedule, train_loss=train_loss, test_loss=test_loss, train_accuracy=unknown,
        test_accuracy=test_accuracy, gradient_norms=np.full((len(schedule), layers), np.nan),
        activation_mean=np.full(layers, np.nan), activation_std=np.full(layers, np.nan),
        saturation=np.full(layers, np.nan), histogram=np.full((layers, 0), np.nan),
    )


def baseline_rows(plan: Plan, network: Network, data: Dataset | ImageSet) -> list[dict]:
    """The classic baselines on a network's data: its cell kept for the axes that change the data only."""
    from .baselines import BASELINES, IMAGE_BASELINES, fit_baselines, fit_image_baselines  # scikit-learn

    lab = LABS[plan.definition.lab]
    cell = [j if lab.changes_data(a) else None for a, j in zip(plan.definition.axes, network.cell)]
    if isinstance(data, ImageSet):
        registry, fits = IMAGE_BASELINES, fit_image_baselines(data, network.config.seed)
    else:
        registry, fits = BASELINES, fit_baselines(network.config, dataset=data)
    return [{"index": len(plan.networks) + network.index * len(registry) + k, "cell": cell, "seed": network.seed,
             "model": fit.method, "config": network.config.model_dump(mode="json"), "params": fit.params,
             "seconds": round(fit.seconds, 3),
             "measures": {"test_accuracy": _number(fit.test_accuracy), "train_accuracy": _number(fit.train_accuracy)}}
            for k, fit in enumerate(fits)]
