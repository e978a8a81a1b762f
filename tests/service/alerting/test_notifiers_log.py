"""The log channel: durable JSON lines in a real file, from many threads at once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vigil.alerting.notifiers import Message, Reason
from vigil.alerting.notifiers.log import LogNotifier


def test_each_delivery_appends_one_json_line_with_its_delivery_id(tmp_path: Path, message: Message) -> None:
    path = tmp_path / "sls" / "project" / "logstore.jsonl"
    notifier = LogNotifier()
    first = notifier.send({"path": str(path)}, message)
    second = notifier.send({"path": str(path)}, Message("dlv-0002", "s", {"n": 2}, "t"))
    assert first.ok and second.ok
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {**message.payload, "deliveryId": "dlv-0001"},
        {"n": 2, "deliveryId": "dlv-0002"},
    ]
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    notifier = LogNotifier()
    filler = "x" * 200_000  # far beyond any single atomic write size
    messages = [Message(f"dlv-{i:04d}", "s", {"i": i, "filler": filler}, "t") for i in range(64)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda m: notifier.send({"path": str(path)}, m), messages))
    assert all(o.ok for o in outcomes)
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert sorted(r["deliveryId"] for r in records) == [m.delivery_id for m in messages]
    assert all(r["filler"] == filler for r in records)


@pytest.mark.parametrize(
    "path",
    ["", "relative/alerts.jsonl", "./alerts.jsonl", "/tmp/with\0nul"],
    ids=["empty", "relative", "dot", "nul"],
)
def test_paths_that_can_never_work_are_invalid(path: str, message: Message) -> None:
    notifier = LogNotifier()
    assert notifier.check({"path": path})
    outcome = notifier.send({"path": path}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)


def test_a_directory_is_not_a_log_file(tmp_path: Path) -> None:
    assert LogNotifier().check({"path": str(tmp_path)}) == "the log path is a directory"


def test_a_path_below_a_regular_file_is_invalid(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert "is a file" in (LogNotifier().check({"path": str(blocker / "sub" / "alerts.jsonl")}) or "")
