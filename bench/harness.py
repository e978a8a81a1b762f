"""The run every peer benchmark shares: options, one fresh server per system, warm-up, measurement, report.

A benchmark script names its operations and its goals (``Benchmark``) and hands over to ``main``.
wrk replays requests formatted beforehand (replay.lua), so the load generator does no signing
while it measures. Vigil's requests are single-use (each carries its own signature nonce), so its
pools are generated just before each measurement and sized from the warm-up's rate. A cell with
any failed request, or that ran out of single-use requests, is invalid, and the run then exits
with status 1.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from cpu import CpuUse, metered
from profiles import hotspots_markdown, sampled
from report import (
    Cell,
    Goal,
    background_note,
    facts_markdown,
    goals_markdown,
    machine_facts,
    table_markdown,
    write_results,
)
from systems import Operation, System
from systems.moto import MotoSystem
from systems.openbao import OpenBaoSystem
from systems.vigil import VigilSystem
from wire import send_one, write_pools
from wrk import WrkResult, run_wrk, wrk_binary

SYSTEMS = ("vigil", "moto", "openbao")
RESULTS = Path(__file__).with_name("results")
REUSABLE_POOL = 256  # requests in the pool of a system that accepts replays
HEADROOM = 1.5  # single-use pools hold this many times the requests the expected rate needs
PRIOR_RPS = 12000  # first guess of the rate, to size a single-use warm-up pool
MIN_POOL = 1000
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Benchmark:
    """What one benchmark script measures and which targets it checks."""

    slug: str  # names the results file: bench/results/<slug>-<UTC time>.json
    description: str
    operations: tuple[Operation, ...]
    goals: Callable[[Sequence[Cell]], list[Goal]]
    systems: Callable[[Options], list[System]] | None = None
    """The systems to measure, when not those --systems names (e.g. Vigil with audit on and off)."""


@dataclass(frozen=True, slots=True)
class Options:
    duration_s: int
    warmup_s: int
    concurrencies: tuple[int, ...]
    operations: tuple[Operation, ...]
    systems: tuple[str, ...]
    vigil_workers: tuple[int, ...]
    threads: int
    profile_dir: Path | None
    results_dir: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "concurrencies": list(self.concurrencies),
            "operations": [str(op) for op in self.operations],
            "systems": list(self.systems),
            "vigil_workers": list(self.vigil_workers),
            "wrk_threads": self.threads,
        }


def parse_args(benchmark: Benchmark, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=benchmark.description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per cell (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up before each cell (default 2)"
    )
    parser.add_argument("--quick", action="store_true", help="3 s cells with 1 s warm-up")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated connection counts")
    parser.add_argument("--operations", default=",".join(benchmark.operations))
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"any of {','.join(SYSTEMS)}")
    parser.add_argument(
        "--vigil-workers",
        default=",".join(dict.fromkeys(["1", str(os.cpu_count() or 1)])),
        help="Vigil configurations to measure, as worker-process counts (default: 1 and the number of CPUs)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (default 1: the machine is small)"
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="sample Vigil with py-spy into DIR")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    systems = tuple(name.strip().lower() for name in args.systems.split(","))
    unknown = [name for name in systems if name not in SYSTEMS]
    if unknown:
        parser.error(f"unknown system(s) {unknown}; choose from {list(SYSTEMS)}")
    operations = tuple(op.strip() for op in args.operations.split(","))
    foreign = [op for op in operations if op not in benchmark.operations]
    if foreign:
        parser.error(
            f"unknown operation(s) {foreign}; choose from {[str(op) for op in benchmark.operations]}"
        )
    return Options(
        duration_s=3 if args.quick else max(1, args.duration),
        warmup_s=1 if args.quick else max(1, args.warmup),
        concurrencies=tuple(int(c) for c in args.concurrency.split(",")),
        operations=tuple(Operation(op) for op in operations),
        systems=systems,
        vigil_workers=tuple(int(w) for w in args.vigil_workers.split(",")),
        threads=args.threads,
        profile_dir=args.profile,
        results_dir=args.results_dir,
    )


def main(benchmark: Benchmark, argv: Sequence[str] | None = None) -> int:
    """Run ``benchmark`` from the command line; the exit status is 1 if any cell is invalid."""
    try:
        return _run(benchmark, parse_args(benchmark, argv))
    except KeyboardInterrupt:
        print("interrupted; every server was stopped", file=sys.stderr)
        return 130


def _run(benchmark: Benchmark, options: Options) -> int:
    # A shell may start us with SIGINT ignored (background jobs); Ctrl-C must still stop everything.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    wrk_binary()
    started = datetime.now(UTC)
    if benchmark.systems is not None:
        systems = benchmark.systems(options)
    else:
        systems = [system for name in options.systems for system in _systems(name, options)]
    facts = machine_facts(systems)
    print("## Machine\n\n" + facts_markdown(facts) + "\n", flush=True)
    cells: list[Cell] = []
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        for number, system in enumerate(systems, 1):
            slug = re.sub(r"\W+", "-", system.name.lower()).strip("-")
            cells += bench_system(system, Path(tmp) / f"{number}-{slug}", options)  # a system may run twice
    found = benchmark.goals(cells)
    print("\n## Results\n\n" + table_markdown(cells) + "\n\n## Goals\n\n" + goals_markdown(found) + "\n")
    note = background_note(cells)
    if note:
        print(note + "\n")
    payload = {
        "benchmark": benchmark.slug,
        "started_at": started.isoformat(timespec="seconds"),
        "command": [Path(sys.executable).name, *sys.argv],
        "options": options.to_json(),
        "machine": facts,
        "cells": [cell.to_json() for cell in cells],
        "goals": [{"goal": g.text, "measured": g.measured, "met": g.met} for g in found],
        "background_note": note,
        "valid": all(cell.valid for cell in cells),
    }
    print(f"Results written to {write_results(options.results_dir, benchmark.slug, payload)}")
    invalid = [cell for cell in cells if not cell.valid]
    for cell in invalid:
        print(f"INVALID {cell.system} {cell.operation} c{cell.concurrency}: {'; '.join(cell.problems)}")
    return 1 if invalid else 0


def _systems(name: str, options: Options) -> list[System]:
    if name == "vigil":
        return [VigilSystem(workers) for workers in options.vigil_workers]
    return [MotoSystem() if name == "moto" else OpenBaoSystem()]


def _exit_on_signal(signum: int, _frame: object) -> NoReturn:
    # SystemExit unwinds through every ``finally``, so each server is stopped on the way out.
    raise SystemExit(128 + signum)


def bench_system(system: System, workdir: Path, options: Options) -> list[Cell]:
    """Start a fresh server, check one answer per operation, then measure every cell."""
    workdir.mkdir(parents=True)
    print(f"# {system.name}: starting", file=sys.stderr, flush=True)
    try:
        system.start(workdir)
        system.prepare(options.operations)
        for operation in options.operations:
            system.check(operation, send_one(system.port, system.requests(operation, 1)[0]))
        bench = Bench(system, workdir, options)
        return [bench.measure(op, c) for op in options.operations for c in options.concurrencies]
    finally:
        system.stop()


@dataclass(frozen=True, slots=True)
class Bench:
    """Measures the cells of one started system."""

    system: System
    workdir: Path
    options: Options

    def measure(self, operation: Operation, connections: int) -> Cell:
        """Warm up, then measure; a single-use pool that ran dry is regenerated larger and measured again."""
        warmup_s, duration_s = self.options.warmup_s, self.options.duration_s
        warm, _, size = self._drive(operation, connections, warmup_s, PRIOR_RPS)
        rate = 2 * size / warmup_s if warm.wraps else warm.rps
        profile = self._profile_path(operation, connections)
        attempts = 0
        while attempts < ATTEMPTS:
            attempts += 1
            with sampled(self.system.pid, profile, duration_s) if profile else nullcontext():
                result, cpu, size = self._drive(operation, connections, duration_s, rate)
            if not (self.system.single_use and result.wraps):
                break
            rate = 2 * size / duration_s
        problems = _problems(self.system, result)
        settle = self._settle()
        cell = Cell(
            self.system.name, str(operation), connections, result, cpu, size, attempts, problems, settle
        )
        _progress(cell)
        if profile and profile.exists():
            summary = hotspots_markdown(f"{self.system.name} {operation} c{connections}", profile)
            profile.with_suffix(".md").write_text(summary + "\n")
        return cell

    def _settle(self) -> CpuUse | None:
        """Wait, metered, for what the server deferred during the measurement (VigilSystem.settle)."""
        settle = getattr(self.system, "settle", None)
        if settle is None:
            return None
        with metered(self.system.pid) as cpu:
            waited = settle()
        return None if waited is None else cpu

    def _drive(
        self, operation: Operation, connections: int, seconds: int, rate: float
    ) -> tuple[WrkResult, CpuUse, int]:
        """Generate a pool for ``seconds`` at ``rate`` (if single-use) and replay it with wrk."""
        single_use = self.system.single_use
        size = max(MIN_POOL, math.ceil(rate * seconds * HEADROOM)) if single_use else REUSABLE_POOL
        threads = max(1, min(self.options.threads, connections))
        stem = self.workdir / "pool"
        write_pools(self.system.requests(operation, size), stem, threads)
        with metered(self.system.pid) as cpu:
            result = run_wrk(
                self.system.port, stem, connections=connections, threads=threads, seconds=seconds
            )
        return result, cpu, size

    def _profile_path(self, operation: Operation, connections: int) -> Path | None:
        directory = self.options.profile_dir
        if directory is None or not isinstance(self.system, VigilSystem):
            return None
        directory.mkdir(parents=True, exist_ok=True)
        audit = "" if self.system.audit is None else f"-audit-{'on' if self.system.audit else 'off'}"
        return directory / f"vigil-w{self.system.workers}{audit}-{operation.value.lower()}-c{connections}.txt"


def _problems(system: System, result: WrkResult) -> tuple[str, ...]:
    problems = []
    if result.non2xx:
        problems.append(f"{result.non2xx} responses with HTTP status >= 400")
    socket_errors = result.errors - result.non2xx
    if socket_errors:
        problems.append(f"{socket_errors} socket errors or timeouts")
    if system.single_use and result.wraps:
        problems.append(f"the single-use pool ran out {result.wraps} time(s), even after {ATTEMPTS} attempts")
    if result.requests == 0:
        problems.append("no request completed")
    return tuple(problems)


def _progress(cell: Cell) -> None:
    r = cell.result
    retried = f", attempt {cell.attempts}" if cell.attempts > 1 else ""
    print(
        f"  {cell.system} {cell.operation} c{cell.concurrency}: {r.rps:,.0f} rps, p50 {r.p50_us / 1000:.2f} ms, "
        f"p99 {r.p99_us / 1000:.2f} ms, {r.errors} errors, server CPU {cell.cpu.server_pct:.0f} %, "
        f"background CPU {cell.cpu.background_pct:.0f} % (pool {cell.pool_size:,}{retried})",
        file=sys.stderr,
        flush=True,
    )
