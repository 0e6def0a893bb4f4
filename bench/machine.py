"""The whole machine's CPU time, to tell what the benchmarks measured from what other guests took.

On a shared virtual machine the hypervisor gives the CPUs to other guests now and then ("steal");
the figures move with that more than with anything else, so each benchmark prints it. Sessions also land
on different hosts: `describe` names the CPU and times a fixed piece of work, so that figures from two
machines can be told apart; `memory` reads a process's resident memory.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

PROBE_ITERATIONS = 200_000  # iterations of the fixed pure-Python loop `describe` times


def ticks() -> list[int]:
    """CPU ticks so far, all CPUs together: user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def idle_and_stolen(before: list[int], after: list[int]) -> tuple[float, float]:
    """Percent of all the CPUs' time between two `ticks()` readings that sat idle, and that was stolen."""
    spent = [b - a for a, b in zip(before, after)]
    total = max(sum(spent), 1)
    return 100 * spent[3] / total, 100 * spent[7] / total


def describe() -> str:
    """The CPU's model and count, and the best of five runs of a fixed pure-Python loop (a host's speed)."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(PROBE_ITERATIONS):
            total += i * i
        best = min(best, time.perf_counter() - start)
    return f"{os.cpu_count()} × {model}; a fixed {PROBE_ITERATIONS:,}-step Python loop takes {best * 1e3:.1f} ms"


def memory(pid: int) -> tuple[float, float]:
    """(resident, peak resident) of a process, in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    kib = lambda name: int(fields[name].split()[0])
    return kib("VmRSS") / 1024, kib("VmHWM") / 1024
