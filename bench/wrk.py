"""Run wrk with replay.lua against one port and read back its summary."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("replay.lua")
_MARKER = "WRK_RESULT "


class WrkMissing(RuntimeError):
    """wrk is not on PATH."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    duration_us: int
    p50_us: int
    p90_us: int
    p99_us: int
    mean_us: float
    max_us: int
    non2xx: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    wraps: int

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def errors(self) -> int:
        """Every failed request: HTTP status >= 400 plus socket errors and timeouts."""
        return self.non2xx + self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"rps": round(self.rps, 1)}


def wrk_binary() -> str:
    """The wrk on PATH. Raises WrkMissing with the install hint."""
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing("wrk is not installed; run: apt-get update && apt-get install -y wrk")
    return path


def wrk_version() -> str:
    run = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, check=False)
    return (run.stdout or run.stderr).splitlines()[0].split(" Copyright")[0].strip()


def run_wrk(
    port: int,
    pool_stem: Path,
    *,
    connections: int,
    threads: int,
    seconds: int,
    timeout_s: float = 10.0,
) -> WrkResult:
    """Replay the pool files at ``pool_stem`` (see wire.write_pools) for ``seconds`` with ``connections`` open."""
    argv = [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s:g}s",
        "-s",
        str(SCRIPT),
        f"http://127.0.0.1:{port}/",
        "--",
        str(pool_stem),
    ]
    run = subprocess.run(argv, capture_output=True, text=True, check=False)
    for thread in range(threads):
        Path(f"{pool_stem}.{thread}").unlink(missing_ok=True)
    for line in run.stdout.splitlines():
        if line.startswith(_MARKER):
            return WrkResult(**json.loads(line[len(_MARKER) :]))
    raise RuntimeError(f"wrk failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
