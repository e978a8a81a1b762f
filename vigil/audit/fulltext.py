"""The words a bare full-text term matches (pure): how a record's search text and a query's terms are split.

Both sides go through ``words``: lower-cased, every ASCII character that is not a letter or digit a
separator. The search text is those words joined by single spaces, with a space at either end, so
a phrase is found with ``LIKE '% w1 w2 %'`` and the text indexes (SQLite FTS5's ascii tokenizer, a
PostgreSQL tsvector of the space-separated words) hold exactly these words.
"""

from __future__ import annotations

from typing import Any

from vigil.audit.model import AuditRecord

MAX_SEARCH_CHARS = 4096
"""Search text beyond this is cut (at a word): a bare term finds what is said early in a record."""
MAX_WORD_CHARS = 100
"""Longer words are left out; so is a value longer than BLOB_CHARS with no whitespace in it."""
BLOB_CHARS = 100
"""Ciphertext, key material and other opaque blobs: long, unbroken, never searched for."""
MAX_DEPTH = 16

# On UTF-8 bytes (several times faster than str.translate); bytes of other characters are kept.
_SEPARATORS = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))


def words(text: str, *, keep_long: bool = False) -> list[str]:
    """The searchable words of ``text``, in order: lower case, split at every ASCII non-alphanumeric;
    words longer than MAX_WORD_CHARS are left out unless ``keep_long``."""
    lowered = text.lower().encode(errors="surrogatepass").translate(_SEPARATORS)
    found = lowered.decode(errors="surrogatepass").split()
    if not keep_long and len(lowered) > MAX_WORD_CHARS and max(map(len, found), default=0) > MAX_WORD_CHARS:
        return [w for w in found if len(w) <= MAX_WORD_CHARS]
    return found


SEARCHED_FIELDS = (
    "event_name",
    "service_name",
    "event_source",
    "acs_region",
    "source_ip",
    "user_agent",
    "principal_id",
    "access_key_id",
    "user_name",
    "resource_type",
    "resource_name",
    "error_code",
    "error_message",
)
"""The record's fields (and audit_records' columns, which share their names) a bare term is matched
against, besides the values of the request parameters and the answer."""


def search_text(record: AuditRecord) -> str:
    """What a bare term is matched against: the record's values (not its keys), except the event and
    request ids and the fields every record of an account shares; see docs/audit-query.md."""
    scalars = [getattr(record, name) for name in SEARCHED_FIELDS]
    return text_of(scalars, record.request_parameters, record.response_elements)


def text_of(scalars: list[str], parameters: Any, response: Any) -> str:
    """The search text of a record whose SEARCHED_FIELDS hold ``scalars`` (in that order) and whose
    request parameters and answer are ``parameters`` and ``response``."""
    parts = list(scalars)
    _values(parameters, parts)
    _values(response, parts)
    text = " ".join(words(" ".join(parts)))
    if len(text) > MAX_SEARCH_CHARS:
        text = text[: max(0, text.rfind(" ", 0, MAX_SEARCH_CHARS + 1))]
    return f" {text} "


def _values(value: Any, into: list[str], depth: int = 0) -> None:
    """Append every string and number inside ``value``, depth first; opaque blobs, and anything
    nested deeper than MAX_DEPTH, are skipped."""
    if isinstance(value, str):
        if len(value) <= BLOB_CHARS or " " in value:
            into.append(value)
    elif depth >= MAX_DEPTH:
        return
    elif isinstance(value, dict):
        for item in value.values():
            _values(item, into, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _values(item, into, depth + 1)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        into.append(str(value))
