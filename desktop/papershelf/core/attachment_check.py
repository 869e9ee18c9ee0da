"""Checking attached files: a file changed or moved outside the app is noticed, found again and the row repaired.

:func:`verify` never drops a row: a file that cannot be found is marked missing
(``missing_since``) until it is found again. The repairs are one operation
(``UpdateAttachments``), so they can be undone as one step.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from . import db
from . import operations as ops
from .errors import PapershelfError
from .schema import AT
from .stored_files import TRASH, absolute, files_dir, is_pdf, move_file, safe_relative, sha256_of, stored_name

if TYPE_CHECKING:
    from .library import Library

#: How many folders and files :func:`verify` looks at when searching for one moved linked file.
_SEARCH_LIMIT = 5000


def verify(library: Library, paper_ids: Iterable[int] | None = None) -> list[str]:
    """Check every attached file; repair what can be repaired. One line per problem found or repaired.

    * A file whose size or modification time changed is hashed again: new
      content updates the row (its text will be read again).
    * A missing file is looked for: a stored one by its hash in the files
      folder and its trash, a linked one by its name, size and hash in the
      folders around its old one and in the files folder. Found, the row points
      to it again; not found, the row is marked missing (never dropped).
    * Something else in a file's place (a link where a stored file was, or a
      file that does not start with %PDF-) is left as it is and never taken
      for the PDF: the row keeps its hash and the PDF is looked for as missing.

    ``paper_ids``: only these papers' files (None: every file).
    """
    root = files_dir(library)
    with db.read(library.engine) as conn:
        statement = select(AT).order_by(AT.c.paper_id, AT.c.id)
        if paper_ids is not None:
            statement = statement.where(AT.c.paper_id.in_(sorted(set(paper_ids))))
        rows = conn.execute(statement).all()
    lines: list[str] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    stamp = ops.now()
    for row in rows:
        path = absolute(library, row.kind, row.path)
        where = f"paper {row.paper_id}: {row.name}"
        replaced = _replaced_by(row.kind, path)
        if replaced is None:
            checked = _check_in_place(row, path, where)
            if checked is None:
                continue  # unchanged
            if isinstance(checked, str):
                replaced = checked
            else:
                values, said = checked
                lines += said
                if values:
                    updates.append((row.id, values))
                continue
        if replaced:
            lines.append(
                f"{where}: {path} was replaced by {replaced}; left as it is, "
                "and the PDF counts as missing until it is found again by its content"
            )
        found = _look_for(root, row)
        if found is not None:
            kind, new_path, st = found
            shown = root / new_path if kind == "stored" else Path(new_path)
            updates.append(
                (
                    row.id,
                    {"kind": kind, "path": new_path, "mtime": st.st_mtime, "size": st.st_size, "missing_since": None},
                )
            )
            lines.append(f"{where}: was missing at {path}; found at {shown}")
            continue
        if row.missing_since is None:
            updates.append((row.id, {"missing_since": stamp}))
        if not replaced:
            lines.append(f"{where}: missing (the library expects it at {path})")
    if updates:
        _apply_updates(library, updates, lines)
    return lines


def _replaced_by(kind: str, path: Path) -> str | None:
    """What took a file's place: "a link" or "something that is not a file" (a stored file's place only:
    links there are never followed); "" when nothing is there; None when a regular file is (through links,
    for a linked file: the user's own links are followed)."""
    try:
        st = os.lstat(path) if kind == "stored" else os.stat(path)
    except (OSError, ValueError):
        return ""
    if stat.S_ISREG(st.st_mode):
        return None
    if kind != "stored":
        return ""  # a folder or a device where the user's file was: missing, as before
    return "a link" if stat.S_ISLNK(st.st_mode) else "something that is not a file"


def _check_in_place(row: Any, path: Path, where: str) -> tuple[dict[str, Any], list[str]] | str | None:
    """A regular file at an attachment's place: None when unchanged (same size and time, not missing before);
    "a file that is not a PDF" when it no longer starts like one (its content is never taken; "" if it went
    meanwhile); else the row's new values and what to say. A file that was missing and is back is hashed again."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return ""  # gone this very moment: looked for as a missing file
    changed = st.st_size != row.size or row.mtime is None or abs(st.st_mtime - row.mtime) > 1e-6
    if row.missing_since is None and not changed:
        return None
    if not is_pdf(path):
        return "a file that is not a PDF"
    try:
        sha = sha256_of(path)
    except OSError as exc:
        return {}, [f"{where}: {path} cannot be read ({exc.strerror or exc})"]
    values: dict[str, Any] = {"size": st.st_size, "mtime": st.st_mtime}
    said: list[str] = []
    if row.missing_since is not None:
        values["missing_since"] = None
        said.append(f"{where}: found again at {path}")
    if sha != row.sha256:
        values |= {"sha256": sha, "text_state": "pending", "text_error": None, "pages": None}
        said.append(f"{where}: changed outside the app ({path}); its text will be read again")
    return values, said


def _apply_updates(library: Library, updates: list[tuple[int, dict[str, Any]]], lines: list[str]) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        library.run(ops.UpdateAttachments(tuple(updates)))
    except (IntegrityError, PapershelfError):
        # One row's new content equals another PDF of the same paper: apply the others one by one.
        for update in updates:
            try:
                library.run(ops.UpdateAttachments((update,)))
            except (IntegrityError, PapershelfError) as exc:
                lines.append(f"attachment {update[0]}: not updated: {str(exc).splitlines()[0]}")


def _look_for(root: Path, row: Any) -> tuple[str, str, os.stat_result] | None:
    """Where a missing file is now: ("stored"|"linked", path for the row, its stat), or None."""
    stored = stored_name(row.sha256)
    if row.kind == "stored":
        for candidate in (root / row.path, root / stored):
            if _matches(candidate, row.size, row.sha256, follow=False):
                return "stored", os.path.relpath(candidate, root).replace(os.sep, "/"), os.stat(candidate)
        target = root / row.path
        for relative in (row.path, stored):  # in the trash: brought back where the row says, into an empty place
            trashed = root / TRASH / relative
            if os.path.lexists(target):
                break  # something else is there (a link, a file that is not a PDF): left as it is
            if safe_relative(row.path) and _matches(trashed, row.size, row.sha256, follow=False):
                try:
                    move_file(trashed, target)
                except OSError:
                    continue
                return "stored", row.path, os.stat(target)
        return None
    old = Path(row.path)
    renamed = _renamed_in(old.parent, row.size, row.sha256)
    if renamed is not None:
        return "linked", str(renamed), os.stat(renamed)
    for folder in _neighbours(old.parent):
        candidate = folder / old.name
        if _matches(candidate, row.size, row.sha256):
            return "linked", str(candidate), os.stat(candidate)
    if _matches(root / stored, row.size, row.sha256, follow=False):
        return "stored", stored, os.stat(root / stored)
    return None


def _renamed_in(folder: Path, size: int, sha256: str) -> Path | None:
    """A file in ``folder`` with these bytes under another name (renamed in place); a bounded number looked at."""
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= _SEARCH_LIMIT:
                    break
                same_size = entry.is_file(follow_symlinks=False) and entry.stat().st_size == size
                if same_size and _matches(Path(entry.path), size, sha256):
                    return Path(entry.path)
    except OSError:
        pass
    return None


def _neighbours(folder: Path) -> Iterator[Path]:
    """The old folder, its subfolders, its parent's other subfolders and theirs (a bounded number)."""
    seen: set[Path] = set()

    def children(of: Path) -> list[Path]:
        try:
            return sorted(p for p in of.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return []

    order = [folder, *children(folder), folder.parent]
    for sibling in children(folder.parent):
        order += [sibling, *children(sibling)]
    for candidate in order:
        if candidate not in seen:
            seen.add(candidate)
            if len(seen) > _SEARCH_LIMIT:
                return
            yield candidate


def _matches(path: Path, size: int, sha256: str, *, follow: bool = True) -> bool:
    """Whether ``path`` is a regular file with these bytes (``follow=False``: itself, not through a link)."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
        return stat.S_ISREG(st.st_mode) and st.st_size == size and sha256_of(path) == sha256
    except (OSError, ValueError):
        return False
