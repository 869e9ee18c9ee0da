"""A change sent again to a shared library lands once: each carries a token, kept with it (migration pg0005).

A COMMIT whose answer is lost with the connection may or may not have landed,
and the app sends such a change again once the server is back. The writer
thread gives each change a token (``Library.sending``); ``Library.run``
stores it in the change's own transaction and, when a change comes again,
finds it there and does not apply it twice. A local library needs none of
this: SQLite answers its COMMIT on the same machine.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, DateTime, MetaData, Table, Text, delete, func, insert, select

#: How long a token is kept: far longer than changes wait for a server (they are kept on disk meanwhile).
TOKEN_DAYS = 30

APPLIED = Table(
    "applied_change",
    MetaData(),
    Column("token", Text, primary_key=True),
    Column("result", Text),
    Column("applied_at", DateTime(timezone=True)),
)


class Tokens:
    """The token of the change each thread is sending: ``sending(base)``, then ``base.1``, ``base.2`` per run."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def sending(self, base: str) -> Iterator[None]:
        """Number the runs of one try of one change: a try run again numbers its runs the same way."""
        self._local.base, self._local.count = base, 0
        try:
            yield
        finally:
            self._local.base = None

    def next(self) -> str | None:
        """The token of the next run on this thread, or None outside ``sending`` (the CLI, tests)."""
        base = getattr(self._local, "base", None)
        if base is None:
            return None
        self._local.count += 1
        return f"{base}.{self._local.count}"


@dataclass(frozen=True)
class Landed:
    """A change found applied already, and what it returned then (None: nothing JSON could keep)."""

    result: Any


def landed(conn: Connection, token: str) -> Landed | None:
    """The change with this token, if it is in the library already."""
    row = conn.execute(select(APPLIED.c.result).where(APPLIED.c.token == token)).first()
    if row is None:
        return None
    return Landed(None if row.result is None else json.loads(row.result))


def record(conn: Connection, token: str, result: Any) -> None:
    """Keep ``token`` (and the change's result, when JSON can hold it) in the change's transaction."""
    conn.execute(delete(APPLIED).where(APPLIED.c.applied_at < func.now() - dt.timedelta(days=TOKEN_DAYS)))
    try:
        kept = json.dumps(result)
    except (TypeError, ValueError):
        kept = None
    conn.execute(insert(APPLIED).values(token=token, result=kept, applied_at=func.now()))
