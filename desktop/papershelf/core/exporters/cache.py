"""BibTeX entries kept encoded in the library (table ``entry_cache``), so an export encodes only what changed.

An export of :class:`LibraryPapers` in ``bibtex`` or ``biblatex`` takes each
paper's entry from the cache when it is there, and encodes (then stores) the
others. The text is exactly what :func:`~.bibtex.render_bibtex` would write:

- a row is per *variant*: the format, the options that change the text
  (abstract, notes, all fields) and :data:`STAMP`, a hash of the exporter's
  code, so a new version never serves an old version's text;
- migration 0005's triggers drop a paper's rows in the statement that changes
  anything its entry is made of, whichever code path writes it;
- a cached entry is used only under the key it was written with (keys are
  made unique within each export); an entry's own ``@string``\\ s are kept
  beside it and written before it where the file lacks them, and one whose
  @string clashes with another entry's is encoded again;
- an entry that gave the export report a warning is not stored (but for
  ``unicode_kept``, told from the text again): a warm export warns as a cold one;
- the abstract, most of an entry, is stored once, in ``paper_abstract``;
- rows are written in short write transactions of their own, never while one
  is needed for the file, and only if no other connection committed since the
  papers were read (``PRAGMA data_version``): a row is never older than its
  paper. A library that cannot be written (read-only, busy) is exported all
  the same, without storing anything.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import __version__
from .. import db
from ..bibsource import MONTH_MACROS
from ..errors import PapershelfError
from ..records import Paper
from . import citekeys
from .bibtex import render_entry
from .common import ExportReport, _CaselessKeys, entry_key
from .written import string_definitions

if TYPE_CHECKING:
    from ..library import Library

__all__ = ["STAMP", "LibraryPapers", "variant"]

#: Bump when the text of an entry changes in a way the code hash below cannot see.
VERSION = 1

#: Modules whose code makes an entry's text.
_MODULES = (
    "papershelf.core.exporters.bibtex",
    "papershelf.core.exporters.written",
    "papershelf.core.exporters.latex",
    "papershelf.core.exporters.common",
    "papershelf.core.exporters.datamodel",
    "papershelf.core.exporters.citekeys",
    "papershelf.core.exporters.cache",
    "papershelf.core.bibsource",
    "papershelf.core.importers.bibtex",
    "papershelf.core.records",
)


def _stamp() -> str:
    """A short hash of the versions and of the exporter's source (when it is there, as it is outside a bundle)."""
    # Python's Unicode tables decide what NFC composes and which characters are printable.
    digest = hashlib.sha256(f"{__version__}/{VERSION}/{sys.version}/{unicodedata.unidata_version}".encode())
    for name in _MODULES:
        __import__(name)
        path = getattr(sys.modules[name], "__file__", None)
        try:
            digest.update(Path(path or "").read_bytes())
        except OSError:
            pass  # a frozen build: its version says it all
    return digest.hexdigest()[:12]


STAMP = _stamp()

#: Papers per read transaction (as :meth:`Library.iter_papers`).
BATCH = 1000
#: Encoded entries gathered before they are stored (one short write transaction).
WRITE_BATCH = 5000


def variant(fmt: str, *, abstract: bool = True, notes: bool = False, all_fields: bool = False) -> str:
    """The cache variant of an export: format, the options that change the text, and :data:`STAMP`."""
    return f"{fmt}:{'a' if abstract else '-'}{'n' if notes else '-'}{'f' if all_fields else '-'}:{STAMP}"


class LibraryPapers:
    """Papers of a library, by id, for an export.

    Iterating gives the papers (read in batches, as :meth:`Library.iter_papers`);
    the ``bibtex`` and ``biblatex`` exports take their entries from the cache
    (:meth:`render_bibtex`). ``count`` is how many were exported.
    """

    #: Papers between two calls of ``progress``.
    PROGRESS_EVERY = 200

    def __init__(
        self,
        library: Library,
        ids: Iterable[int],
        *,
        store: bool = True,
        progress: Callable[[int], None] | None = None,
    ):
        """``progress`` is called with the number of papers exported so far, every
        :data:`PROGRESS_EVERY` papers; an exception it raises (a cancel) ends the export."""
        self.library = library
        self.ids = list(ids)
        #: Whether encoded entries are stored for the next export.
        self.store = store
        self.progress = progress
        self.count = 0

    def _counted(self) -> None:
        self.count += 1
        if self.progress is not None and self.count % self.PROGRESS_EVERY == 0:
            self.progress(self.count)

    def __iter__(self) -> Iterator[Paper]:
        for paper in self.library.iter_papers(self.ids):
            self._counted()
            yield paper

    def render_bibtex(
        self,
        *,
        utf8: bool = False,
        abstract: bool = True,
        notes: bool = False,
        all_fields: bool = False,
        report: ExportReport | None = None,
    ) -> Iterator[str]:
        """The entries of :func:`~.bibtex.render_bibtex`, from the cache where it has them."""
        kind = variant("biblatex" if utf8 else "bibtex", abstract=abstract, notes=notes, all_fields=all_fields)
        report = report if report is not None else ExportReport()
        # A paper that adds to them is not stored: its warnings must come again.
        warnings = _warnings(report)
        taken = _CaselessKeys()
        defined: dict[str, str] = {}  # the @strings written so far
        pending: list[_Row] = []
        since: int | None = None  # data_version when the papers of ``pending`` were first read
        # SQLite's data_version tells a store that nothing changed since the read; a shared library is not cached.
        writable = self.store and not db.is_shared(self.library.engine)
        stored = False  # whether a store ran in this export
        with self.library.engine.connect() as conn:
            raw = db.driver_connection(conn)
            ids = iter(self.ids)
            while chunk := list(islice(ids, BATCH)):
                try:
                    entries, version = self._read(conn, raw, chunk, kind, taken)
                except Exception as exc:  # one line naming the library, damage remembered: as Library's reads
                    error = _translated(self.library, exc)
                    if error is None:
                        raise
                    raise error from exc
                if since is None:
                    since = version
                for pid, key, text, paper, strings in entries:
                    self._counted()
                    if text is not None and strings:  # its @strings first, unless one clashes with another's
                        text = _with_strings(text, strings, defined)
                    if text is not None and not _month_redefined(defined):
                        if not utf8 and not text.isascii():  # the one warning made from the text alone
                            report.unicode_kept.append(key)
                        yield text + "\n"
                        continue
                    if paper is None:  # its cached entry did not fit in this export after all
                        paper = self._paper(conn, raw, pid)
                        if paper is None:
                            self.count -= 1
                            continue
                    own = paper.bibtex.strings if paper.bibtex is not None else ()
                    before = dict(defined) if own else defined
                    warned = sum(map(len, warnings))
                    text = render_entry(
                        paper,
                        key=key,
                        utf8=utf8,
                        abstract=abstract,
                        notes=notes,
                        all_fields=all_fields,
                        report=report,
                        strings=defined,
                    )
                    if not utf8 and not text.isascii():
                        report.unicode_kept.append(key)
                    if writable and sum(map(len, warnings)) == warned:
                        row = _row(pid, kind, text, paper.abstract if abstract else "", own, before)
                        if row is not None:
                            pending.append(row)
                    yield text + "\n"
                writable = writable and not _damaged(self.library)  # a damaged library is never written
                if writable and len(pending) >= WRITE_BATCH:
                    writable = _store(raw, pending, since, first=not stored)
                    pending, since, stored = [], None, True
            if writable and pending and not _damaged(self.library):
                _store(raw, pending, since, first=not stored)

    def _read(
        self, conn: Any, raw: sqlite3.Connection, chunk: list[int], kind: str, taken: _CaselessKeys
    ) -> tuple[list[tuple[int, str, str | None, Paper | None, list[list[str]] | None]], int]:
        """(id, key, cached text or None, paper or None, its @strings) of each paper still there, and data_version.

        One read transaction: the papers whose cached text cannot be used (none,
        another key, a stored key bibtex cannot use) are read in it too.
        """
        raw.execute("BEGIN")
        try:
            rows = {}
            for pid, stored_key, text, at, abstract, strings in raw.execute(_READ, (json.dumps(chunk), kind)):
                if text is not None and at is not None:
                    text = text[:at] + (abstract or "") + text[at:]  # the abstract, as stored once
                rows[pid] = (stored_key, text, json.loads(strings) if strings else None)
            # Without cached text, or with a key bibtex cannot use (made from the paper's data).
            wanted = [
                pid
                for pid, (key, text, _) in rows.items()
                if text is None or citekeys.key_problem(key.strip()) is not None
            ]
            papers = {p.id: p for p in self.library._load(conn, wanted)} if wanted else {}
            entries: list[tuple[int, str, str | None, Paper | None, list[list[str]] | None]] = []
            for pid in chunk:
                if pid not in rows:
                    continue  # deleted since the ids were taken: skipped, as iter_papers does
                stored_key, text, strings = rows[pid]
                paper = papers.get(pid)
                # A cached entry's stored key is valid (else its paper was read): entry_key() keeps it.
                key = citekeys.unique_key(entry_key(paper) if paper is not None else stored_key.strip(), taken)
                taken.add(key)
                entries.append((pid, key, text if text is not None and _fits(text, key) else None, paper, strings))
            # A cached entry under another key than this export gives it (two papers with one key).
            again = [pid for pid, _, text, paper, _ in entries if text is None and paper is None]
            if again:
                papers = {p.id: p for p in self.library._load(conn, again)}
                entries = [(pid, key, text, paper or papers.get(pid), st) for pid, key, text, paper, st in entries]
            version = 0 if db.is_shared(self.library.engine) else raw.execute("PRAGMA data_version").fetchone()[0]
        finally:
            raw.execute("COMMIT")
        return entries, version

    def _paper(self, conn: Any, raw: sqlite3.Connection, pid: int) -> Paper | None:
        """One paper, read on its own (a cached entry whose @strings clash with another entry's)."""
        raw.execute("BEGIN")
        try:
            found = self.library._load(conn, [pid])
        finally:
            raw.execute("COMMIT")
        return found[0] if found else None


def _translated(library: Library, exc: Exception) -> PapershelfError | None:
    """SQLite's error as the library's own one-line error (damage remembered by its guard), or None for a bug."""
    guard = getattr(library, "_guard", None)
    return guard.translate(exc) if guard is not None else db.translate_error(exc, library.path)


def _damaged(library: Library) -> bool:
    """Whether the library's guard has seen damage (it then refuses every write)."""
    guard = getattr(library, "_guard", None)
    return guard is not None and guard.damage is not None


_READ = (
    "SELECT p.id, p.citation_key, c.text, c.abstract_at, a.abstract, c.strings FROM (SELECT value FROM json_each(?)) AS j"
    " JOIN paper AS p ON p.id = j.value LEFT JOIN entry_cache AS c ON c.paper_id = p.id AND c.variant = ?"
    " LEFT JOIN paper_abstract AS a ON c.abstract_at IS NOT NULL AND a.paper_id = p.id"
)


#: An entry_cache row: paper_id, variant, text, abstract_at, strings.
_Row = tuple[int, str, str, int | None, str | None]


def _row(
    pid: int, kind: str, text: str, abstract: str, strings: Sequence[tuple[str, str]], before: dict[str, str]
) -> _Row | None:
    """The entry_cache row of an entry just encoded, or None when it depends on the rest of the export.

    An entry with its own ``@string``\\ s is stored without the definitions it
    wrote first (``before``: those the export had written until then), with
    the @strings themselves, when none clashed with another entry's.

    The abstract, most of an entry, is left out when the entry holds it as it
    is: ``abstract_at`` says where it goes back in. The abstract is the paper's
    own (paper_abstract), whose every change drops the row: the text comes back whole.
    """
    own = None
    if strings:
        head, clashing = string_definitions(strings, dict(before))
        written = "".join(head)
        if clashing or not text.startswith(written):
            return None
        text, own = text[len(written) :], json.dumps([list(pair) for pair in strings])
    if abstract:
        field = "  abstract = {" + abstract + "}"
        # Most often the last field (a comparison, not a search), else wherever it is.
        at = len(text) - len(field) - 3 if text.endswith(field + "\n}\n") else text.rfind(field)
        if at >= 0:
            at += len("  abstract = {")
            return pid, kind, text[:at] + text[at + len(abstract) :], at, own
    return pid, kind, text, None, own


def _with_strings(text: str, strings: list[list[str]], defined: dict[str, str]) -> str | None:
    """A cached entry with the @string definitions it needs that ``defined`` lacks; None when one clashes."""
    probe = dict(defined)
    head, clashing = string_definitions([(name, raw) for name, raw in strings], probe)
    if clashing:
        return None
    defined.update(probe)
    return "".join(head) + text


def _fits(text: str, key: str) -> bool:
    """Whether a cached entry was written under ``key`` (``@type{key,``)."""
    brace = text.find("{")
    return text.startswith(key + ",\n", brace + 1)


def _month_redefined(defined: dict[str, str]) -> bool:
    """Whether an earlier entry defined a month as a @string (its entries are then not as stored)."""
    return bool(defined) and not MONTH_MACROS.isdisjoint(defined)


def _warnings(report: ExportReport) -> list[list[Any]]:
    """The report's lists of warnings, of every kind it has but ``unicode_kept`` (told from the text itself)."""
    return [value for name, value in vars(report).items() if isinstance(value, list) and name != "unicode_kept"]


#: How long a cache write waits for another writer before it gives up (the export goes on without it).
_WRITE_WAIT_MS = 100


def _store(raw: sqlite3.Connection, rows: list[_Row], since: int | None, *, first: bool) -> bool:
    """Store encoded entries if no other connection committed since they were read; False: stop storing."""
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
    try:
        raw.execute(f"PRAGMA busy_timeout = {_WRITE_WAIT_MS}")
        # A cache row lost to a power cut costs only its encoding again: no wait for the disk.
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("BEGIN IMMEDIATE")
        try:
            if first:  # rows another version of the exporter wrote: no export reads them again
                raw.execute("DELETE FROM entry_cache WHERE substr(variant, -?) != ?", (len(STAMP) + 1, ":" + STAMP))
            if raw.execute("PRAGMA data_version").fetchone()[0] == since:
                raw.executemany(
                    "INSERT OR REPLACE INTO entry_cache (paper_id, variant, text, abstract_at, strings) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        return True
    except sqlite3.Error:
        return False  # read-only, busy, full: the export goes on, uncached
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        raw.execute(f"PRAGMA synchronous = {int(synchronous)}")
