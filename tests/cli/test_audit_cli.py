"""``vigil audit`` against a real server: search as a table, JSON lines and stats, an instance's log
store, query errors, a paged export to a file and to standard output, status, and hashes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import RunningServer

PLAINTEXT = base64.b64encode(b"cli-plaintext-Curlew-2207").decode()


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


@pytest.fixture
def key_id(vigil: Cli) -> str:
    """A key that encrypted once and was then disabled, so a second encrypt was refused."""
    key = vigil.new_key()
    vigil.ok("encrypt", "--key-id", key, "--plaintext", PLAINTEXT)
    vigil.ok("keys", "disable", key)
    assert "Rejected.Disabled" in vigil.fails("encrypt", "--key-id", key, "--plaintext", PLAINTEXT).stderr
    return key


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def test_search_prints_a_table_or_json_lines(vigil: Cli, key_id: str) -> None:
    table = vigil.ok("audit", "search", "event.serviceName: Kms")
    first_column = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    assert [cell for cell in first_column if cell] == ["Encrypt", "DisableKey", "Encrypt", "CreateKey"]
    assert "Kms" in table and "root" in table
    found = lines(vigil.ok("audit", "search", "event.serviceName: Kms", "--json"))
    assert [(e["eventName"], e.get("errorCode")) for e in found] == [
        ("Encrypt", "Rejected.Disabled"),
        ("DisableKey", None),
        ("Encrypt", None),  # a data-plane call: in the trail and in the instance's log store
        ("CreateKey", None),
    ]
    assert all(e["resourceName"] == key_id for e in found)


def test_search_reads_an_instances_log_store(vigil: Cli, key_id: str) -> None:
    instance = vigil.json("whoami")["DefaultKmsInstanceId"]
    [encrypt] = lines(vigil.ok("audit", "search", "Encrypt", "--instance", instance, "--json"))
    assert (encrypt["eventName"], encrypt["resourceName"]) == ("Encrypt", key_id)
    assert "errorCode" not in encrypt
    in_trail = lines(vigil.ok("audit", "search", "event.eventName: Encrypt", "--json"))
    assert [e for e in in_trail if "errorCode" not in e] == [encrypt], "the same record is in the trail"


def test_search_stops_at_the_limit_and_says_more_match(vigil: Cli, key_id: str) -> None:
    result = vigil.run("audit", "search", "event.serviceName: Kms", "--limit", "2", "--json")
    assert result.exit_code == 0
    assert [e["eventName"] for e in lines(result.stdout)] == ["Encrypt", "DisableKey"]
    assert "more records match" in result.stderr
    quiet = vigil.run("audit", "search", "event.serviceName: Kms", "--limit", "4", "--json")
    assert len(lines(quiet.stdout)) == 4 and "more records match" not in quiet.stderr


def test_search_prints_the_counts_of_a_stats_query(vigil: Cli, key_id: str) -> None:
    query = "event.serviceName: Kms | stats count() by event.eventName"
    table = vigil.ok("audit", "search", query)
    assert "event.eventName" in table and "Count" in table and "DisableKey" in table
    assert lines(vigil.ok("audit", "search", query, "--json")) == [
        {"event.eventName": "Encrypt", "Count": 2},
        {"event.eventName": "CreateKey", "Count": 1},
        {"event.eventName": "DisableKey", "Count": 1},
    ]


def test_search_takes_a_window_and_reports_bad_input_clearly(vigil: Cli, key_id: str) -> None:
    assert vigil.ok("audit", "search", "event.serviceName: Kms", "--to", "2020-01-01", "--json") == ""
    assert "StartTime" in vigil.fails("audit", "search", "--from", "last tuesday").stderr
    error = vigil.fails("audit", "search", "Encrypt Decrypt").stderr
    assert "InvalidParameter.Query" in error and "column 9" in error


def _describe(server: RunningServer, key_id: str, times: int) -> None:
    root = server.client()
    for _ in range(times):
        root.call("DescribeKey", {"KeyId": key_id})


def test_export_writes_every_page_oldest_first_to_a_file(
    vigil: Cli, key_id: str, server: RunningServer, tmp_path: Path
) -> None:
    _describe(server, key_id, 105)
    start = str(server.client().vigil("GetClock")["NowMs"] - 3_600_000)
    target = tmp_path / "trail.jsonl"
    result = vigil.run(
        "audit", "export", "--from", start, "--query", "event.eventName: DescribeKey", "-o", str(target)
    )
    assert result.exit_code == 0, result.output
    exported = lines(target.read_text(encoding="utf-8"))
    assert len(exported) == 105 and {e["eventName"] for e in exported} == {"DescribeKey"}
    times = [e["eventTime"] for e in exported]
    assert times == sorted(times), "oldest first"
    assert result.stdout == ""
    assert "exported 105 records" in result.stderr and str(target) in result.stderr
    everything = vigil.run("audit", "export", "--from", start)
    assert everything.exit_code == 0
    names = [e["eventName"] for e in lines(everything.stdout)]
    assert names.count("DescribeKey") == 105
    assert names[:4] == ["CreateKey", "Encrypt", "DisableKey", "Encrypt"]


def test_export_refuses_a_stats_query(vigil: Cli, server: RunningServer) -> None:
    start = str(server.client().vigil("GetClock")["NowMs"] - 60_000)
    result = vigil.fails("audit", "export", "--from", start, "--query", "* | stats count()", code=2)
    assert "without '| stats'" in result.stderr


def test_status_shows_the_journal(vigil: Cli) -> None:
    vigil.ok("audit", "status")
    status = vigil.json("audit", "status")
    assert status["RecordsWritten"] >= 1 and status["Failing"] is False and status["RecordsFailed"] == 0
    assert "RecordsWritten" in vigil.ok("audit", "status")


def test_hash_matches_the_plaintext_of_an_encrypt_record(vigil: Cli, key_id: str) -> None:
    instance = vigil.json("whoami")["DefaultKmsInstanceId"]
    [encrypt] = lines(vigil.ok("audit", "search", "Encrypt", "--instance", instance, "--json"))
    stored = encrypt["requestParameters"]["Plaintext"]
    assert vigil.ok("audit", "hash", PLAINTEXT).strip() == stored
    assert vigil.ok("audit", "hash", input=PLAINTEXT + "\n").strip() == stored, "read from standard input"
    assert vigil.ok("audit", "hash", PLAINTEXT, "--check", stored).strip() == "matches"
    assert vigil.json("audit", "hash", PLAINTEXT, "--check", stored) == {"Hash": stored, "Matches": True}
    assert (
        vigil.fails("audit", "hash", "something else", "--check", stored).stdout.strip() == "does not match"
    )
