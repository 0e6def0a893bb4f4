"""Set-up shared by every test: the engine's programs kept as executables between runs of the suite.

A program compiles in seconds; kept in .jax_cache (backend.engine.executables), the second run of the
suite loads each instead.
"""
from pathlib import Path

from backend.engine.executables import keep_executables

REPO = Path(__file__).resolve().parent.parent

keep_executables(REPO / ".jax_cache")
