"""The server's warm-up list: every program a network can need is compiled before the server says ready."""
from __future__ import annotations

import itertools

from backend.api.app import warmup_programs
from backend.engine import program
from backend.engine.data import SLOTS, slots_for
from backend.engine.network import MAX_LAYERS, MAX_WIDTH, NARROW
from backend.engine.pictures import WIDTHS, width_for
from backend.settings import Settings


def test_a_full_warm_up_covers_every_program_and_starts_with_the_default():
    configs = warmup_programs(Settings(warmup="all"))
    assert configs[0].hidden_layers == [4, 2]
    advances = {(len(c.hidden_layers), slots_for(c.num_samples), program.advance_width(c.hidden_layers))
                for c in configs}
    every = {(0, slots, NARROW) for slots in SLOTS} | set(
        itertools.product(range(1, MAX_LAYERS + 1), SLOTS, (NARROW, MAX_WIDTH)))
    assert advances == every
    assert {width_for(c.hidden_layers) for c in configs} == set(WIDTHS)
    assert len(configs) == len(every) + 1  # nothing compiled twice but the default


def test_lighter_warm_ups():
    assert warmup_programs(Settings(warmup="none")) == []
    assert [c.hidden_layers for c in warmup_programs(Settings(warmup="default"))] == [[4, 2]]
