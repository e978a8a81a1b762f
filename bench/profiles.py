"""Sample a running Python server with py-spy during a measurement and summarise where its time went.

py-spy writes collapsed stacks (``frame;frame;...;leaf count`` per line); the summary gives each
function's share of the samples, both as the leaf ("own") and anywhere on the stack ("total").
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from processes import venv_command


@contextmanager
def sampled(pid: int, out: Path, seconds: float) -> Iterator[None]:
    """Run py-spy on ``pid`` and its worker processes for the ``with`` block, writing collapsed stacks to ``out``."""
    argv = [
        venv_command("py-spy"),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--format",
        "raw",
        "--function",
        *(["--gil"] if os.environ.get("PYSPY_GIL") else []),
    ]
    argv += [
        "--rate",
        os.environ.get("PYSPY_RATE", "100"),
        "--duration",
        str(int(seconds) + 2),
        "--output",
        str(out),
    ]
    with out.with_suffix(".log").open("wb") as log:
        spy = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT (SIGTERM would lose it)
        try:
            spy.wait(15)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


@dataclass(frozen=True, slots=True)
class Tally:
    samples: int
    own: Counter[str]
    anywhere: Counter[str]

    def pct(self, n: int) -> float:
        return 100 * n / self.samples if self.samples else 0.0


def tally(collapsed: Path) -> Tally:
    """Count each function's samples as the leaf (own) and anywhere on the stack."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if frame and not frame.startswith("process ")]
        if not frames or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            anywhere[frame] += count
    return Tally(samples, own, anywhere)


def hotspots_markdown(title: str, collapsed: Path, top: int = 20) -> str:
    """A Markdown summary: the top functions by own time, then by total (inclusive) time."""
    t = tally(collapsed)
    lines = [f"### {title} ({t.samples} samples)", "", "| own % | total % | function |", "|---:|---:|---|"]
    lines += [
        f"| {t.pct(n):.1f} | {t.pct(t.anywhere[name]):.1f} | `{name}` |" for name, n in t.own.most_common(top)
    ]
    lines += ["", "By total (inclusive) share:", ""]
    lines += [f"- {t.pct(n):.1f} % `{name}`" for name, n in t.anywhere.most_common(top + 10)]
    return "\n".join(lines)
