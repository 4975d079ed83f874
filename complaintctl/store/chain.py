"""The event chain's arithmetic: each event's SHA-256 over canonical JSON, chained to the one before.

Apart from the ledger that appends events, so that whatever checks or copies the chain (integrity,
the server's chain tables, anchors) needs only this.
"""

from __future__ import annotations

import hashlib
import json

GENESIS_HASH = "0" * 64  # the hash "before" a chain's first event
HEAD_SQL = "SELECT hash FROM events WHERE branch = ? ORDER BY id DESC LIMIT 1"

# One encoder, built once: json.dumps would build it anew for each of millions of events in `verify`.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_json(value) -> str:
    return _CANONICAL.encode(value)


def event_hash(
    prev_hash: str,
    complaint,
    kind,
    at,
    recorded_at,
    actor,
    payload: str,
    login: str | None = None,
    written_at: str | None = None,
) -> str:
    """The event's SHA-256, chained to the one before. A firm ledger's server stamps each event with
    the login that wrote it and its own time (`login`, `written_at`, set by a trigger); the hash covers
    them. Events without a stamp (every branch file's own) hash as the first release hashed them."""
    fields = [prev_hash, complaint, kind, at, recorded_at, actor, payload]
    if login is not None or written_at is not None:
        fields += [login, written_at]
    content = canonical_json(fields)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
