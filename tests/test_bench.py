"""The benchmark scripts the README quotes still start: each one's --help runs and describes it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in {"__init__", "machine"})


def test_every_script_is_quoted_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert SCRIPTS and all(f"python -m bench.{name}" in readme for name in SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_script_starts_and_describes_itself(name):
    result = subprocess.run([sys.executable, "-m", f"bench.{name}", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # The docstring read from the file: importing a script here would apply its JAX settings to the tests.
    summary = ast.get_docstring(ast.parse((ROOT / "bench" / f"{name}.py").read_text())).splitlines()[0]
    assert summary.split(":")[0] in " ".join(result.stdout.split())
