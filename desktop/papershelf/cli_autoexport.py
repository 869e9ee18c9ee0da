"""Live files on the command line: ``export --keep-updated``, ``autoexport list|remove|run``, and the sync at exit.

Every command opens its library as a :class:`SyncingLibrary`: when the
command changed anything (an operation or an import), the bound files are
brought up to date before the library closes, so a change made from the CLI
updates them as a change made in the app does. A file that cannot be written
is one warning line; the command's own exit status is unchanged.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import paths

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core import operations as ops
    from .core.autoexport import Result
    from .core.fsutil import Protected
    from .core.library import Library

#: Export scopes a file can be bound to, by the export option that names them.
SCOPES = {"list": "list", "tag": "tag", "search": "search"}


def protection(library: Library) -> Protected:
    """Never onto the library, its -wal/-shm or any library's backups."""
    from .core.fsutil import Protected

    return Protected.library(library.path, paths.backups_dir())


def open_library(location: Path | str, backups_dir: Path | None, check: str) -> Library:
    """The library for a command (a file, or a shared library's URL), as a :class:`SyncingLibrary`."""
    return _syncing_class()(location, backups_dir=backups_dir, check=check)


@functools.cache
def _syncing_class() -> type[Library]:
    from .core import autoexport
    from .core.library import Library

    class SyncingLibrary(Library):
        """A library that brings its live files up to date when it closes, if a command changed it."""

        changed = False

        def run(self, operation: ops.Operation) -> ops.Outcome:
            outcome = super().run(operation)
            self.changed = True
            return outcome

        def import_file(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().import_file(*args, **kwargs)
            finally:  # a failed import changed nothing, but a sync that finds nothing to do costs little
                if not kwargs.get("dry_run"):
                    self.changed = True

        def __exit__(self, *exc: object) -> None:
            try:
                if self.changed and (not exc or exc[0] is not KeyboardInterrupt):
                    report(autoexport.sync(self, protect=protection(self)), quiet_unchanged=True)
            except Exception as error:  # the command itself succeeded: its exit status stays
                print(f"papershelf: warning: live files not updated: {error}".splitlines()[0], file=sys.stderr)
            finally:
                self.close()

    return SyncingLibrary


def report(results: list[Result], *, quiet_unchanged: bool = False) -> bool:
    """One line per file (stderr); True when every file is up to date."""
    from .core.display import visible
    from .core.operations.base import papers

    ok = True
    for result in results:
        path = visible(result.binding.path)
        if result.status == "written":
            print(f"{path}: updated ({papers(result.count)}, {result.binding.format})", file=sys.stderr)
        elif result.status == "unchanged":
            if not quiet_unchanged:
                print(f"{path}: unchanged ({papers(result.count)})", file=sys.stderr)
        else:
            ok = False
            print(f"papershelf: warning: live file not updated: {visible(result.error or '')}", file=sys.stderr)
    return ok


# --- export --keep-updated ----------------------------------------------------------


def bound_scope(args: argparse.Namespace) -> tuple[str, str]:
    """The (kind, name) an ``export --keep-updated`` binds; an error for any other scope."""
    from .core.errors import PapershelfError

    for option, kind in SCOPES.items():
        value = getattr(args, option, None)
        if value:
            if args.output == "-":
                raise PapershelfError("--keep-updated needs a file (-o FILE), not standard output")
            return kind, value
    raise PapershelfError("--keep-updated works with --list, --tag or --search (a query or ids cannot be followed)")


def prepare_binding(library: Library, args: argparse.Namespace) -> ops.Bind:
    """Check, before anything is written, that the export's file can be kept updated."""
    from . import cli_shared
    from .core import autoexport

    cli_shared.refuse_read_only(library)  # the binding is a change to the library: refused before the file is written

    kind, name = bound_scope(args)
    options = {"abstract": not args.no_abstract, "notes": args.notes, "all_fields": args.all_fields}
    operation = autoexport.prepare(kind, name, Path(args.output), args.format, options, protect=protection(library))
    autoexport.check_free(library, operation)
    return operation


def bind(library: Library, operation: ops.Bind) -> None:
    """Bind the file the export just wrote (stamped as written now, so `autoexport list` says so)."""
    import dataclasses

    from .core import operations as ops

    library.run(dataclasses.replace(operation, written=ops.now()))


def bound_files(library: Library, kind: str, name: str) -> list[str]:
    """The files a list, tag or saved search keeps updated (said when deleting it takes them along)."""
    from .core import autoexport

    wanted = " ".join(name.split()).casefold()
    return [b.path for b in autoexport.bindings(library) if b.kind == kind and b.name.casefold() == wanted]


# --- papershelf autoexport ------------------------------------------------------------


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "autoexport",
        help="list, remove or update live files (export --keep-updated)",
        description="Live files follow a reading list, tag or saved search: every change rewrites them, and a file "
        "is replaced only when its content changes. Bind one with `papershelf export --list NAME -o FILE "
        "--keep-updated`. With no action, list them.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="show every live file, when it was last written and its error")
    q = actions.add_parser("remove", help="stop keeping a file updated (the file stays)")
    q.add_argument("target", metavar="PATH|ID")
    actions.add_parser("run", help="update every live file now; exit status 1 if any failed")


def cmd_autoexport(args: argparse.Namespace, open_library: Any) -> int:
    from .core import autoexport
    from .core.display import visible
    from .core.operations.base import papers

    with open_library(args) as library:
        if args.action in (None, "list"):
            return _list(library)
        if args.action == "remove":
            operation = autoexport.unbind(library, args.target)
            library.run(operation)
            print(f"{visible(operation.path)}: no longer kept updated (the file stays as it is)")
            return 0
        results = autoexport.sync(library, protect=protection(library))
        library.changed = False  # just synced: nothing to do again at exit
        for result in results:
            path = visible(result.binding.path)
            if result.status == "failed":
                print(f"failed: {visible(result.error or '')}")
            else:
                print(f"{result.status}: {path} ({papers(result.count)})")
        if not results:
            print("no live files; bind one with `papershelf export --list NAME -o FILE --keep-updated`")
        return 1 if any(r.status == "failed" for r in results) else 0


def _list(library: Library) -> int:
    from .core import autoexport
    from .core.display import visible

    found = autoexport.bindings(library)
    protect = protection(library)
    for b in found:
        written = f"{b.written_at:%Y-%m-%d %H:%M:%S}" if b.written_at else "never"
        print(f"{b.id}  {b.kind} {visible(b.name)!r}  {b.format}  {visible(b.path)}")
        # The file's state now (a folder removed since the last write), else the last write's error.
        error = autoexport.problem(b, protect) or b.error
        print(f"    last written: {written}" + (f"; error: {visible(error)}" if error else ""))
    if not found:
        print("no live files; bind one with `papershelf export --list NAME -o FILE --keep-updated`")
    return 0
