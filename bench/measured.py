"""Running an import command as `make` runs it, timed, with its peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float
    output: str


def run_module(module: str, *args: str, env: Mapping[str, str] | None = None) -> Measured | None:
    """``python -m module args`` from the repository (in ``env``, default this process's
    environment); None (its errors printed) if it failed."""
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", module, *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if status != 0:
        print(process.stderr.read().decode() if process.stderr else "", file=sys.stderr)
        return None
    return Measured(round(elapsed, 1), round(usage.ru_maxrss / 1024, 1), output.strip())
