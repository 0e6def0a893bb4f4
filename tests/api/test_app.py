"""The server's warm-up list: every program a network can need is compiled before the server says ready."""
from __future__ import annotations

import itertools

from backend.api.app import warmup_networks
from backend.engine.config import Config
from backend.engine.data import MAX_SAMPLES, SLOTS
from backend.engine.network import MAX_LAYERS, MAX_WIDTH, NARROW
from backend.engine.pictures import PICTURE_WIDTHS
from backend.engine.run import programs_of
from backend.settings import Settings


def test_a_full_warm_up_calls_every_program_once_and_starts_with_the_default():
    networks = warmup_networks(Settings(warmup="all"))
    assert networks[0] == Config()
    called = [programs_of(c) for c in networks]
    every = (
        {("train", slots, width) for slots in SLOTS for width in (NARROW, MAX_WIDTH)}
        | {("draw", width) for width in PICTURE_WIDTHS}
        | {("predict",)}
    )
    assert set().union(*called) == every
    # Each network after the default calls a program no earlier one did: nothing is warmed up twice.
    for index, programs in enumerate(called[1:], start=1):
        assert not programs <= set().union(*called[:index])


def test_networks_of_every_depth_width_and_size_need_only_warmed_up_programs():
    warmed = set().union(*(programs_of(c) for c in warmup_networks(Settings(warmup="all"))))
    for depth, width, num_samples in itertools.product(range(MAX_LAYERS + 1), range(1, MAX_WIDTH + 1), (50, 512, 513, MAX_SAMPLES)):
        hidden = [width] * depth
        assert programs_of(Config(hidden_layers=hidden, num_samples=num_samples)) <= warmed
    custom = [[float(i % 5), 1.0, 1.0 if i % 2 else -1.0] for i in range(600)]
    assert programs_of(Config(dataset="custom", custom_points=custom)) <= warmed


def test_lighter_warm_ups():
    assert warmup_networks(Settings(warmup="none")) == []
    assert warmup_networks(Settings(warmup="default")) == [Config()]


def test_settings_read_the_environment_and_the_executables_old_name():
    assert Settings.from_env({"LAYERLAB_EXECUTABLES": "/kept", "LAYERLAB_PORT": "9000"}).executables == "/kept"
    assert Settings.from_env({"LAYERLAB_COMPILATION_CACHE": "/old"}).executables == "/old"
    both = {"LAYERLAB_EXECUTABLES": "/new", "LAYERLAB_COMPILATION_CACHE": "/old"}
    assert Settings.from_env(both).executables == "/new"
    assert Settings.from_env({}).executables == Settings().executables
