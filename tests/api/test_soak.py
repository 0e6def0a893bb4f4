"""The soak script's short mode against a real server: nothing the server holds grows with streams opened and
closed, sessions made and ended (the long run and its figures are bench/soak.py's)."""
from __future__ import annotations

from bench.soak import soak

SESSIONS, SECONDS, CYCLES = 8, 20.0, 50  # the short mode
DESCRIPTOR_SLACK = 2  # a leak per cycle would grow by CYCLES; a log or cache file opened once is not one


def test_a_short_soak_leaks_no_session_stream_task_or_descriptor():
    result = soak(SESSIONS, SECONDS, CYCLES)
    before, after = result["before"], result["after"]
    assert after["sessions"] == before["sessions"] == 0
    assert after["streams"] == 0
    assert after["tasks"] <= before["tasks"], (before, after)
    assert after["descriptors"] <= before["descriptors"] + DESCRIPTOR_SLACK, (before, after)
    assert len(result["rates"]) == SESSIONS and min(result["rates"]) > 0  # every session streamed
