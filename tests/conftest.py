"""Set-up shared by every test: XLA as the server runs it, and the engine's programs kept as executables
between runs of the suite.

A program compiles in seconds; kept in .executables (backend.engine.executables), the second run of the
suite loads each instead.
"""
from pathlib import Path

from backend.xla import use_server_defaults

use_server_defaults()  # before JAX starts its backend

from backend.engine.executables import keep_executables  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

keep_executables(REPO / ".executables")
