"""The page's JSDoc types, checked by TypeScript's compiler: `tsc -p tsconfig.json` (checkJs, noEmit, strict).

`make test` installs tsc at the version package.json pins, with npm; without node and npm this check skips
with a reason, and under CI it fails (.ci/run installs them).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TSC = ROOT / "node_modules" / ".bin" / "tsc"


def test_the_pages_javascript_keeps_to_its_types():
    if not (TSC.exists() and shutil.which("node")):
        reason = "the type check needs node and tsc: `make test` installs tsc with npm (apt-get install nodejs npm)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    checked = subprocess.run([str(TSC), "-p", "tsconfig.json", "--listFilesOnly"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert {p.name for p in (ROOT / "frontend" / "js").glob("*.js")} <= {Path(line).name for line in checked.split()}
    result = subprocess.run([str(TSC), "-p", "tsconfig.json"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
