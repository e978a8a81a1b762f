"""A long request parameter is kept short in the trail, yet still identifies what was sent."""

from __future__ import annotations

import hashlib

from vigil.audit.calls import LONG_VALUE, _capped


def test_a_long_parameter_keeps_its_start_length_and_digest() -> None:
    events = "[" + ",".join('{"name":"Instance:Risk"}' for _ in range(3000)) + "]"
    kept = _capped({"Events": events, "Product": "Kafka"})
    assert kept["Product"] == "Kafka"
    assert kept["Events"].startswith(events[:512])
    assert f"{len(events)} characters in all" in kept["Events"]
    assert hashlib.sha256(events.encode()).hexdigest() in kept["Events"]
    assert len(kept["Events"]) < 1024 < len(events)


def test_values_up_to_the_limit_are_kept_whole() -> None:
    value = "x" * LONG_VALUE
    assert _capped({"Description": value}) == {"Description": value}
