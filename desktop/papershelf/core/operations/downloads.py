"""Operations on the download queue (the ``download`` table) and the auto-download setting.

A queued paper waits for its arXiv PDF (``core/online/pdfs.py`` fetches it); its row keeps how often a
download failed and why, and goes when the PDF is attached (:class:`AttachDownloaded`, which first checks the
paper is still the one the PDF was downloaded for), when a download fails for good (a 404), or after
:data:`MAX_ATTEMPTS` failed tries. The ``auto_download`` setting names the tag or
reading list whose papers get their PDF queued automatically (``{"tag": NAME}`` or ``{"list": NAME}``;
no row: off).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, NamedTuple

from sqlalchemy import Connection, delete, select

from .. import db
from ..errors import PapershelfError
from ..schema import DL, RL, ST, P
from .base import Batch, Changes, Operation, Outcome, clean_list_name, clean_tag, list_id, now, require

#: The setting's key in the ``setting`` table.
AUTO_DOWNLOAD = "auto_download"

#: ("tag", name) or ("list", name): papers with that tag, or in that list, get their PDF queued.
AutoRule = tuple[Literal["tag", "list"], str]

#: Failed tries after which a paper leaves the download queue (every later try would nag about it again).
MAX_ATTEMPTS = 5

#: One queue row: (paper_id, requested_at, attempts, error).
Row = tuple[int, dt.datetime, int, str | None]


def pdfs(n: int) -> str:
    """'1 PDF', '3 PDFs'."""
    return f"{n} PDF{'s' if n != 1 else ''}"


def queue_rows(conn: Connection, ids: list[int]) -> dict[int, Row]:
    """The queue rows of these papers, by paper id."""
    found: dict[int, Row] = {}
    for start in range(0, len(ids), 30_000):
        rows = conn.execute(
            select(DL.c.paper_id, DL.c.requested_at, DL.c.attempts, DL.c.error).where(
                DL.c.paper_id.in_(ids[start : start + 30_000])
            )
        )
        found.update((r[0], (r[0], r[1], r[2], r[3])) for r in rows)
    return found


@dataclass(frozen=True)
class SetDownloadRows(Operation):
    """Put these queue rows in (replacing a paper's row) and take these papers' rows out.

    The inverse of every queue change: it puts back exactly the rows there were.
    """

    rows: tuple[Row, ...] = ()
    remove: tuple[int, ...] = ()
    name: str = "Change the download queue"

    @property
    def label(self) -> str:
        return self.name

    def apply(self, conn: Connection) -> Outcome:
        ids = list(dict.fromkeys([r[0] for r in self.rows] + list(self.remove)))
        if self.rows:
            require(conn, [r[0] for r in self.rows])
        before = queue_rows(conn, ids)
        if self.remove:
            conn.execute(delete(DL).where(DL.c.paper_id.in_(list(self.remove))))
        if self.rows:
            values = [{"paper_id": p, "requested_at": at, "attempts": n, "error": e} for p, at, n, e in self.rows]
            statement = db.insert(conn, DL)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[DL.c.paper_id],
                    set_={c: statement.excluded[c] for c in ("requested_at", "attempts", "error")},
                ),
                values,
            )
        inverse = SetDownloadRows(tuple(before.values()), tuple(pid for pid in ids if pid not in before), self.name)
        return Outcome(Changes(papers=frozenset(ids)), inverse)


@dataclass(frozen=True)
class QueueDownloads(Operation):
    """Queue papers for their PDF; papers already queued keep their place. The result: how many were queued."""

    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Queue {pdfs(len(set(self.ids)))} for download"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        queued = queue_rows(conn, ids)
        at = now()
        new = tuple((pid, at, 0, None) for pid in ids if pid not in queued)
        outcome = SetDownloadRows(new, (), self.label).apply(conn)
        return Outcome(outcome.changes, outcome.inverse, len(new))


@dataclass(frozen=True)
class UnqueueDownloads(Operation):
    """Take papers out of the download queue. The result: how many were queued."""

    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Cancel the download of {pdfs(len(set(self.ids)))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = list(dict.fromkeys(self.ids))
        queued = queue_rows(conn, ids)
        outcome = SetDownloadRows((), tuple(ids), self.label).apply(conn)
        return Outcome(outcome.changes, outcome.inverse, len(queued))


def same_paper(conn: Connection, paper_id: int, arxiv_id: str) -> bool:
    """Whether paper ``paper_id`` exists and has the arXiv id ``arxiv_id``."""
    found = conn.execute(select(P.c.arxiv_id).where(P.c.id == paper_id)).first()
    return found is not None and found.arxiv_id == arxiv_id


class PaperChanged(PapershelfError):
    """The paper a PDF was downloaded for was deleted, or has another arXiv id, since the download began."""

    def __init__(self, paper_id: int) -> None:
        self.paper_id = paper_id
        super().__init__(
            f"paper {paper_id} was deleted (or changed its arXiv id) while its PDF downloaded; nothing attached"
        )


@dataclass(frozen=True)
class AttachDownloaded(Operation):
    """Attach a downloaded PDF (``attach``, an ``AttachPdf``) and take its paper out of the queue, as one change.

    In the same transaction it first checks that paper ``paper_id`` still has the arXiv id ``arxiv_id`` the
    PDF was downloaded for, and raises :class:`PaperChanged` if not: the paper may have been deleted during
    the download and SQLite given its id to the next paper made (by the app or a ``papershelf import``).
    The result is ``attach``'s.
    """

    attach: Operation
    paper_id: int
    arxiv_id: str

    @property
    def label(self) -> str:
        return self.attach.label

    def apply(self, conn: Connection) -> Outcome:
        if not same_paper(conn, self.paper_id, self.arxiv_id):
            raise PaperChanged(self.paper_id)
        outcome = Batch((self.attach, UnqueueDownloads((self.paper_id,))), self.label).apply(conn)
        return Outcome(outcome.changes, outcome.inverse, outcome.result[0])


class Failure(NamedTuple):
    """What :class:`RecordDownloadFailure` did: the paper's failed tries so far, and whether it is still queued."""

    attempts: int
    queued: bool


@dataclass(frozen=True)
class RecordDownloadFailure(Operation):
    """Count a failed download on the paper's queue row and keep why (one line); nothing if it is not queued.

    A failure for good (``final``: the server has no such PDF, the id is not arXiv's), or the
    :data:`MAX_ATTEMPTS`-th one, takes the paper out of the queue instead, so it is not tried (and reported)
    again and again; asking for it again queues it anew. The result: a :class:`Failure`, or None if the paper
    was not queued.
    """

    paper_id: int
    error: str
    final: bool = False

    @property
    def label(self) -> str:
        return "Record a failed download"

    def apply(self, conn: Connection) -> Outcome:
        row = queue_rows(conn, [self.paper_id]).get(self.paper_id)
        if row is None:  # taken out of the queue meanwhile (another window, the CLI)
            return Outcome(Changes(), SetDownloadRows(name=self.label))
        attempts = row[2] + 1
        if self.final or attempts >= MAX_ATTEMPTS:
            outcome = SetDownloadRows((), (self.paper_id,), self.label).apply(conn)
            return Outcome(outcome.changes, outcome.inverse, Failure(attempts, queued=False))
        error = " ".join(self.error.split())[:1000]
        outcome = SetDownloadRows(((row[0], row[1], attempts, error),), (), self.label).apply(conn)
        return Outcome(outcome.changes, outcome.inverse, Failure(attempts, queued=True))


def check_rule(rule: AutoRule | None) -> AutoRule | None:
    """The rule with its name cleaned (as tags and lists clean theirs); PapershelfError if it is not one."""
    if rule is None:
        return None
    kind, name = rule
    if kind == "tag":
        return "tag", clean_tag(name)
    if kind == "list":
        return "list", clean_list_name(name)
    raise PapershelfError(f"auto-download: {kind!r} is neither a tag nor a list")


def read_rule(conn: Connection) -> AutoRule | None:
    """The auto-download rule stored in the library (None: off, also for a value this version cannot read)."""
    value = conn.execute(select(ST.c.value).where(ST.c.key == AUTO_DOWNLOAD)).scalar()
    if isinstance(value, dict) and len(value) == 1:
        ((kind, name),) = value.items()
        if kind in ("tag", "list") and isinstance(name, str) and name.strip():
            return ("tag" if kind == "tag" else "list"), name
    return None


@dataclass(frozen=True)
class SetAutoDownload(Operation):
    """Download the PDFs of papers that get this tag or join this list (None: turn it off).

    The list must exist (NotFoundError otherwise; its name is kept as the list spells it); a tag need not, as
    tagging a paper creates it. The result: the rule as stored."""

    rule: AutoRule | None

    @property
    def label(self) -> str:
        if self.rule is None:
            return "Turn automatic PDF downloads off"
        kind, name = self.rule
        return f"Download PDFs of papers {'tagged' if kind == 'tag' else 'added to the list'} {name}"

    def apply(self, conn: Connection) -> Outcome:
        rule = check_rule(self.rule)
        if rule is not None and rule[0] == "list":  # a list must exist to be joined: a typo would turn it off
            rule = "list", conn.execute(select(RL.c.name).where(RL.c.id == list_id(conn, rule[1]))).scalar_one()
        raw_before = conn.execute(select(ST.c.value).where(ST.c.key == AUTO_DOWNLOAD)).scalar()
        if rule is None:
            conn.execute(delete(ST).where(ST.c.key == AUTO_DOWNLOAD))
        else:
            statement = db.insert(conn, ST).values(key=AUTO_DOWNLOAD, value={rule[0]: rule[1]})
            conn.execute(statement.on_conflict_do_update(index_elements=[ST.c.key], set_={"value": {rule[0]: rule[1]}}))
        return Outcome(Changes(), _PutSetting(AUTO_DOWNLOAD, raw_before, self.label), rule)


@dataclass(frozen=True)
class _PutSetting(Operation):
    """Put a setting's stored value back exactly as it was (None: no row), even one this version cannot read."""

    key: str
    value: object
    of: str

    @property
    def label(self) -> str:
        return self.of

    def apply(self, conn: Connection) -> Outcome:
        before = conn.execute(select(ST.c.value).where(ST.c.key == self.key)).scalar()
        if self.value is None:
            conn.execute(delete(ST).where(ST.c.key == self.key))
        else:
            statement = db.insert(conn, ST).values(key=self.key, value=self.value)
            conn.execute(statement.on_conflict_do_update(index_elements=[ST.c.key], set_={"value": self.value}))
        return Outcome(Changes(), _PutSetting(self.key, before, self.of))
