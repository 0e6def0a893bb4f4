"""The whole machine's CPU time, to tell what the benchmarks measured from what other guests took.

On a shared virtual machine the hypervisor gives the CPUs to other guests now and then ("steal");
the figures move with that more than with anything else, so each benchmark prints it.
"""
from __future__ import annotations

from pathlib import Path


def ticks() -> list[int]:
    """CPU ticks so far, all CPUs together: user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def idle_and_stolen(before: list[int], after: list[int]) -> tuple[float, float]:
    """Percent of all the CPUs' time between two `ticks()` readings that sat idle, and that was stolen."""
    spent = [b - a for a, b in zip(before, after)]
    total = max(sum(spent), 1)
    return 100 * spent[3] / total, 100 * spent[7] / total
