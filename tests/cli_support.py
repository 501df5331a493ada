"""Running the real CLI in a subprocess, and the store "as it was", for the failure tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    drop: tuple[str, ...] = (),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m asylumlens ARGS`` from this checkout's ``src``, with ``env`` added to
    and ``drop`` removed from this process's environment."""
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full["PYTHONPATH"] = SRC + os.pathsep + full.get("PYTHONPATH", "")
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "asylumlens", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the store with its bytes (the store 'as it was'), staging aside."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "staging" not in p.parts
    }
