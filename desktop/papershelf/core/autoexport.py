"""Live files ("keep updated"): a reading list, tag or saved search bound to a file that follows every change.

A binding (the ``autoexport`` table) names what to export, the file and the
format. :func:`sync` renders every binding with the export's own code path
and replaces the file only when its bytes would change, so an editor,
latexmk, git or a sync client sees no spurious change. A binding that cannot
be written (folder gone, disk full) keeps its error for the app and the CLI;
nothing raises out of :func:`sync`, and the other bindings still run.

Binding and unbinding are operations (``operations/autoexport.py``); the
file checks happen first, in :func:`prepare`.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy import text as sql

from . import db, exporters, pg
from . import operations as ops
from .errors import ConflictError, ExportError, NotFoundError, PapershelfError
from .fsutil import CREATE, REPLACE, Protected, UnsafeTarget, check_not_protected, resolve_target, write_user_file
from .operations.autoexport import KIND_NAMES, KINDS, REMOVE_HINT, Bind, Unbind, conflict, same_file, source_name
from .schema import AE, SS, P

if TYPE_CHECKING:
    from .library import Library

__all__ = ["KINDS", "Binding", "Result", "bindings", "find", "prepare", "problem", "render", "sync", "unbind"]

_log = logging.getLogger("papershelf.export")

#: The export options a binding keeps (the rest are the export's defaults).
OPTION_NAMES = ("abstract", "notes", "all_fields")


@dataclass(frozen=True)
class Binding:
    """One live file."""

    id: int
    kind: str
    name: str
    path: str
    format: str
    options: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    written_at: dt.datetime | None = None
    error: str | None = None

    @property
    def source(self) -> str:
        """``reading list 'Thesis'``: what the file follows, for messages."""
        return f"{KIND_NAMES[self.kind]} {self.name!r}"


@dataclass(frozen=True)
class Result:
    """What one sync did to one binding: ``written``, ``unchanged`` or ``failed`` (with ``error``)."""

    binding: Binding
    status: str
    count: int = 0
    error: str | None = None


def absolute(path: str | os.PathLike[str]) -> str:
    """The path a binding stores: ``~`` expanded and made absolute, but links not resolved."""
    return os.fspath(Path(os.path.expanduser(os.fspath(path))).absolute())


def check_target(path: str | os.PathLike[str], protect: Protected | None = None) -> None:
    """Refuse, in one line, a file that cannot be kept updated: a folder, FIFO, device, or the library."""
    shown = os.fspath(path)
    try:
        check_not_protected(path, protect)
        target = resolve_target(path)
    except UnsafeTarget as exc:
        raise ExportError(f"{shown}: {exc.reason}") from None
    except IsADirectoryError:
        raise ExportError(f"{shown}: is a folder, not a file") from None
    except OSError as exc:
        raise ExportError(f"{shown}: {exc.strerror or exc}") from None
    if target.kind not in (REPLACE, CREATE):
        raise ExportError(f"{shown}: is not a regular file (a pipe or device cannot be kept updated)")


def prepare(
    kind: str,
    name: str,
    path: str | os.PathLike[str],
    fmt: str,
    options: dict[str, Any] | None = None,
    *,
    protect: Protected | None = None,
) -> Bind:
    """The operation that binds ``path``, after checking the file can be kept updated."""
    if kind not in KINDS:
        raise PapershelfError(f"unknown kind {kind!r} of live file (use {', '.join(KINDS)})")
    if fmt not in exporters.FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(exporters.FORMATS)})")
    full = absolute(path)
    check_target(full, protect)
    kept = {key: bool(value) for key, value in (options or {}).items() if key in OPTION_NAMES}
    return Bind(kind, name, full, fmt, kept)


def check_free(library: Library, operation: Bind, hint: str = REMOVE_HINT) -> None:
    """Refuse, before the caller writes anything, a file another list, tag or search keeps updated.

    The file is compared, not the path's text: a symlink, its target and a
    relative spelling are one file. ``hint`` says how to free it (``{id}``,
    ``{name}`` the file's name, ``{source}`` what it follows).
    """
    for binding in bindings(library):
        same = (binding.kind, binding.name.casefold()) == (operation.kind, " ".join(operation.name.split()).casefold())
        if not same and same_file(binding.path, operation.path):
            message = conflict(binding.path, binding.kind, binding.name, binding.id, hint)
            raise ConflictError(f"{message}; nothing was written")


def bindings(library: Library) -> list[Binding]:
    """Every live file, in the order they were bound; of a shared library, the member's own (pg0003)."""
    statement = select(AE).order_by(AE.c.id)
    if library.shared:  # another member's paths are on their computer, not to be written here
        statement = statement.where(sql("member = current_user"))
    with db.read(library.engine) as conn:
        rows = conn.execute(statement).all()
    return [_binding(row._mapping) for row in rows]


def _binding(row: Any) -> Binding:
    return Binding(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        path=row["path"],
        format=row["format"],
        options=dict(row["options"] or {}),
        created_at=row["created_at"],
        written_at=row["written_at"],
        error=row["error"],
    )


def find(library: Library, ident: str) -> Binding:
    """A binding by its id or its path (as typed: ``~`` and relative paths are expanded; any path to its file)."""
    found = bindings(library)
    text = ident.strip()
    if text.isascii() and text.isdigit():
        for binding in found:
            if binding.id == int(text):
                return binding
    full = absolute(ident)
    for binding in found:
        if binding.path == full:
            return binding
    for binding in found:  # another spelling of a bound file: through a link, or its link's target
        if same_file(binding.path, full):
            return binding
    raise NotFoundError(f"{ident}: not a live file (see papershelf autoexport list)")


def unbind(library: Library, ident: str) -> Unbind:
    """The operation that removes the binding named by id or path."""
    return Unbind(find(library, ident).path)


def scope_ids(library: Library, kind: str, name: str) -> list[int]:
    """The papers of a reading list (in list order), a tag or a saved search (in id order).

    A tag no paper carries any more is no papers (the file follows the last
    untag); a list or saved search that does not exist is a NotFoundError.
    """
    with db.read(library.engine) as conn:
        try:
            name = source_name(conn, kind, name)
        except NotFoundError:
            if kind != "tag":
                raise
            return []
        query = conn.execute(select(SS.c.query).where(SS.c.name == name)).scalar_one() if kind == "search" else ""
    if kind == "list":
        return library.list_paper_ids(name)
    if kind == "tag":
        return library.search_ids('tag:"' + name.replace('"', "") + '"')
    return library.search_ids(query)


def paper_ids(library: Library, binding: Binding) -> list[int]:
    """The papers a binding exports, in the export's order (crossref parents after their children)."""
    try:
        ids = scope_ids(library, binding.kind, binding.name)
    except NotFoundError:
        raise NotFoundError(f"the {binding.source} no longer exists") from None
    if binding.format in ("bibtex", "biblatex"):
        ids = library.bibtex_order(ids)
    return ids


def render(library: Library, binding: Binding) -> tuple[str, list[int]]:
    """The text the bound file should hold, and the papers in it (the same code path as ``papershelf export``)."""
    ids = paper_ids(library, binding)
    options: exporters.RenderOptions = {
        "abstract": bool(binding.options.get("abstract", True)),
        "notes": bool(binding.options.get("notes", False)),
        "all_fields": bool(binding.options.get("all_fields", False)),
    }
    out = io.StringIO(newline="")
    # As `papershelf export`: unchanged papers' entries come from the entry cache.
    exporters.export_to_stream(exporters.LibraryPapers(library, ids), binding.format, out, **options)
    return out.getvalue(), ids


def _unchanged(path: str, data: bytes) -> bool:
    """Whether the bound file holds exactly ``data`` (a file of another size is not read at all).

    A FIFO or folder raises (and is never read); a file not there yet is changed.
    """
    target = resolve_target(path)
    if target.kind == CREATE:
        return False
    if target.kind != REPLACE:
        raise UnsafeTarget(path, "is no longer a regular file")
    with open(target.path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size != len(data):
            return False
        return fh.read() == data


def problem(binding: Binding, protect: Protected | None = None) -> str | None:
    """What would stop the next write of the bound file, found cheaply (``os.stat``/``access``, nothing opened).

    A vanished folder, a folder that cannot be written, a target that is no
    longer a regular file or is the library: one line, as a failed write
    would say it; None when a write looks possible. The stored error of the
    last write is the binding's ``error``; this is the file's state now.
    """
    path = binding.path
    try:
        check_not_protected(path, protect)
        target = resolve_target(path)
        if target.kind not in (REPLACE, CREATE):
            raise UnsafeTarget(path, "is no longer a regular file")
        folder = target.path.parent
        if not folder.is_dir():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fspath(folder))
        # The file is replaced by a rename in its folder: that folder must be writable.
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(folder))
    except UnsafeTarget as exc:
        return f"{path}: {exc.reason}"
    except OSError as exc:
        return f"{path}: {exporters._reason(exc)}"
    return None


def sync_one(library: Library, binding: Binding, protect: Protected | None = None) -> Result:
    """Bring one bound file up to date; never raises (the error is in the result)."""
    if protect is None:
        protect = Protected.library(library.path, library.backups_dir)
    try:
        text, ids = render(library, binding)
        data = text.encode("utf-8")
        # Before the file is read to compare: a link turned to the library must never be opened.
        check_not_protected(binding.path, protect)
        try:
            same = _unchanged(binding.path, data)
        except FileNotFoundError:
            same = False
        if same:
            status = "unchanged"
        else:
            with write_user_file(binding.path, "wb", protect=protect) as stream:
                stream.write(data)
            status = "written"
            _log.info("live file %s rewritten (%d papers, %s)", binding.path, len(ids), binding.format)
        _pin(library, ids)
        return Result(binding, status, len(ids))
    except UnsafeTarget as exc:
        return Result(binding, "failed", error=f"{binding.path}: {exc.reason}")
    except OSError as exc:
        return Result(binding, "failed", error=f"{binding.path}: {exporters._reason(exc)}")
    except PapershelfError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Result(binding, "failed", error=f"{binding.path}: {message}")
    except Exception as exc:  # a bad record: one line, and the other bindings still run
        _log.exception("live file %s failed", binding.path)
        return Result(binding, "failed", error=f"{binding.path}: export failed ({type(exc).__name__}: {exc})")


def _pin(library: Library, ids: list[int]) -> None:
    """Exported keys are in someone's document now: pin those not pinned yet (no write when none)."""
    if not ids:
        return
    with db.read(library.engine) as conn:  # the ids as one JSON array: one parameter however many there are
        loose = list(conn.execute(select(P.c.id).where(P.c.key_pinned == 0, db.ids_in(P.c.id, ids))).scalars())
    if loose:
        try:
            library.run(ops.PinKeys(tuple(loose)))
        except db.LibraryBusyError:  # another program writes: the file is right, the keys get pinned next time
            _log.info("live files: keys not pinned yet, the library is busy")
        except pg.ReadOnlyError:  # a read-only member of a shared library: the file is right all the same
            _log.info("live files: keys not pinned, read-only access to the shared library")


def sync(library: Library, *, protect: Protected | None = None, only: Iterable[int] | None = None) -> list[Result]:
    """Bring every bound file (or the bindings ``only`` names) up to date; one result each, never raises.

    A file is replaced only when its content differs. The binding's
    ``written_at`` and ``error`` are recorded (the error cleared on success),
    in a write only when they change.
    """
    try:
        found = bindings(library)
    except Exception as exc:  # a locked or damaged library: nothing to report per file
        _log.warning("live files not updated: %s", exc)
        return []
    wanted = None if only is None else set(only)
    results = [sync_one(library, b, protect) for b in found if wanted is None or b.id in wanted]
    _record(library, results)
    return results


def _record(library: Library, results: list[Result]) -> None:
    """Store each binding's last write time and error, where they changed."""
    stamp = ops.now()
    changes: list[tuple[int, dict[str, object]]] = []
    for result in results:
        if result.status == "written":
            changes.append((result.binding.id, {"written_at": stamp, "error": None}))
        elif result.error != result.binding.error:
            changes.append((result.binding.id, {"error": result.error}))
    if not changes:
        return
    try:
        with db.write(library.engine) as conn:
            for binding_id, values in changes:
                conn.execute(update(AE).where(AE.c.id == binding_id).values(**values))
    except Exception as exc:  # the files are written; only their status could not be kept
        _log.warning("live files: status not recorded: %s", exc)
