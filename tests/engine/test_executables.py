"""Kept executables: a second start loads each program without tracing, and a bad file is rebuilt."""
from __future__ import annotations

import os
from collections import Counter
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from backend.engine import executables
from backend.engine.executables import Program, keep_executables


def make_program(traces: Counter, made: Counter) -> Program:
    """A fresh Program (as a new process has) over a small jitted function with a loop and a static argument."""

    @partial(jax.jit, static_argnames="power")
    def repeat(x, times, *, power):
        traces[power] += 1
        return jax.lax.fori_loop(0, times, lambda _, y: jnp.tanh(y) ** power + 1.0, x)

    return Program(repeat, "repeat", lambda name: made.update([name]))


@pytest.fixture
def store(tmp_path):
    kept = executables._store[0]
    keep_executables(tmp_path)
    yield tmp_path
    keep_executables(kept)


def test_a_second_start_loads_every_signature_without_tracing(store):
    x, times = np.linspace(-1, 1, 8, dtype=np.float32), np.int32(3)
    first_traces, first_made = Counter(), Counter()
    first = make_program(first_traces, first_made)
    expected = {power: np.asarray(first(x, times, power=power)) for power in (1, 2)}
    assert first_traces == {1: 1, 2: 1} and not first_made
    assert len(list(store.glob("repeat-*.executable"))) == 2

    traces, made = Counter(), Counter()
    second = make_program(traces, made)
    for power in (1, 2):
        np.testing.assert_array_equal(np.asarray(second(x, times, power=power)), expected[power])
        np.testing.assert_array_equal(np.asarray(second(jnp.asarray(x), np.int32(5), power=power)),
                                      np.asarray(first(x, np.int32(5), power=power)))
    assert not traces
    assert made == {"repeat": 2}


def test_a_damaged_or_stale_executable_is_compiled_again(store):
    x, times = np.ones(4, np.float32), np.int32(2)
    expected = np.asarray(make_program(Counter(), Counter())(x, times, power=1))
    (path,) = store.glob("repeat-*.executable")
    path.write_bytes(b"not an executable")
    stale = store / f"repeat-0000000000000000-{'f' * 16}.executable"
    stale.write_bytes(b"left by another engine, long unused")
    os.utime(stale, (0, 0))
    shared = store / f"repeat-0000000000000001-{'e' * 16}.executable"
    shared.write_bytes(b"another engine's, in use")
    executables._prune.cache_clear()

    traces = Counter()
    np.testing.assert_array_equal(np.asarray(make_program(traces, Counter())(x, times, power=1)), expected)
    assert traces == {1: 1}
    assert not stale.exists() and shared.exists()
    traces = Counter()
    np.testing.assert_array_equal(np.asarray(make_program(traces, Counter())(x, times, power=1)), expected)
    assert not traces  # the rebuilt file loads
