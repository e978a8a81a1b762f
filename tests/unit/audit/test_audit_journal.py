"""The journal's group commit: whichever way a record is written (alone at once, or with the others
of its turn of the event loop), it is in the segment file before ``append`` returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vigil.audit.journal import Journal, segments


@pytest.mark.parametrize("fsync", [False, True], ids=["grouped-after-the-first", "all-grouped-and-synced"])
def test_every_record_is_written_before_append_returns(tmp_path: Path, fsync: bool) -> None:
    journal = Journal(tmp_path, fsync=fsync)
    seen: list[bool] = []

    async def call(n: int) -> None:
        line = f'{{"call":{n}}}'.encode()
        await journal.append(line)
        [segment] = segments(tmp_path)
        seen.append(line in segment.read_bytes().splitlines())

    async def turns() -> None:
        for start in (0, 8, 16):  # calls finishing together, a turn of the loop at a time
            await asyncio.gather(*(call(n) for n in range(start, start + 8)))
        await call(99)  # and one alone

    asyncio.run(turns())
    journal.close()
    assert seen == [True] * 25
    [segment] = segments(tmp_path)
    lines = segment.read_bytes().splitlines()
    assert sorted(lines) == sorted(f'{{"call":{n}}}'.encode() for n in [*range(24), 99])
    assert journal.status().written == 25 and not journal.status().failing
