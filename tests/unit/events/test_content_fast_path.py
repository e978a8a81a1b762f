"""The fast content check agrees with the path-naming walk on every Kafka schema: for the seed
examples and for random damage to them, it passes exactly the content the walk passes."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.events.catalog import CATALOG
from vigil.events.catalog.kafka import SCHEMAS
from vigil.events.catalog.validation import InvalidEventContent, _conforms, walk_object

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


def _walk_passes(content: Any, name: str) -> bool:
    try:
        walk_object("content", content, SCHEMAS[name])
    except InvalidEventContent:
        return False
    return True


def _places(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON tree, so a mutation can land anywhere."""
    found: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            found += _places(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            found += _places(value)
    return found


@settings(max_examples=600)
@given(st.sampled_from(sorted(SCHEMAS)), st.data())
def test_fast_and_walking_checks_agree(name: str, data: st.DataObject) -> None:
    content = copy.deepcopy(CATALOG[name].example["content"])
    for _ in range(data.draw(st.integers(0, 3))):
        places = _places(content)
        if not places:
            break
        container, key = data.draw(st.sampled_from(places))
        action = data.draw(st.sampled_from(["replace", "delete", "add", "choice"]))
        if action == "replace":
            container[key] = data.draw(JUNK)
        elif action == "delete":
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[data.draw(st.text(min_size=1, max_size=6))] = data.draw(JUNK)
        elif action == "choice" and isinstance(container[key], str):
            container[key] = container[key].upper() + "x"
    assert _conforms(content, SCHEMAS[name]) == _walk_passes(content, name)


def test_every_seed_example_takes_the_fast_path() -> None:
    for name in SCHEMAS:
        assert _conforms(CATALOG[name].example["content"], SCHEMAS[name]), name
