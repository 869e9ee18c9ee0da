"""The PDFs of a backup "with files": writing them into the archive, and putting them back.

A backup with files is the library backup (``backup.py``: the same
``library.sqlite3`` member, the same manifest) plus every PDF an attachment
of the backed-up library references, streamed into the same zip archive
uncompressed (PDFs are compressed already):

* ``files/<path>``: a stored file, at its path inside the files folder
  (``ab/<sha256>.pdf``); the trash and unfinished downloads are left out;
* ``linked/<n>/<name>``: a linked file (kept outside the files folder), so
  all the user's PDFs are in the one archive.

The manifest's ``files`` lists each member with its kind, the path the
library records, its size and sha256; ``missing`` lists what the library
references but was not there (or not a regular file) when the backup was taken.

Putting the files back never overwrites anything: every member is first
extracted beside its destination as a hidden temporary file and checked
against its sha256 (a damaged archive then changes nothing), then, after the
library is restored, linked into place (``os.link`` fails on an existing
name). A stored file already there with the same content is kept; one with
other content is kept too, and the backup's copy goes next to it
(``<sha256>-1.pdf``) with the attachment pointing there. A linked file goes
back where it was when that place is free (its folder exists, no file there),
else into the files folder, and its attachment becomes a stored one.

The archive is not trusted to say what to write (a hand-made one can list
anything): only a member that an attachment of the restored library
references (same kind and path) is put back, a stored one only at a content
path (``ab/<sha256>.pdf``) of that attachment's sha256, a linked one only at
the path the attachment records and only under a ``.pdf`` name, and only when
its content starts like a PDF; every other member is left out and counted in
one line.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import sqlite3
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import db, fsutil
from .errors import PapershelfError

STORED_PREFIX = "files/"
LINKED_PREFIX = "linked/"
CHUNK = 1 << 20
_SHA = re.compile(r"[0-9a-f]{64}")
PDF_MAGIC = b"%PDF-"  # within a file's first 1024 bytes, as attaching checks (``pdf.sandbox.is_pdf``)


@dataclass(frozen=True)
class Written:
    """What :func:`write_files` put into an archive."""

    files: int
    size: int
    problems: list[str]  # one line per file the library references that could not be backed up

    def describe(self) -> str:
        """``3 PDFs, 1.2 MB``."""
        return f"{self.files:,} PDF{'' if self.files == 1 else 's'}, {human_size(self.size)}"


def human_size(size: int) -> str:
    """``812 bytes``, ``14.2 KB``, ``1.2 MB``, ``3.4 GB`` (powers of 1024, as ``papershelf files`` shows sizes)."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    value = size / 1024
    for unit in ("KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    return f"{value:.1f} {unit}"


def stored_path(sha256: str) -> str:
    """Where a stored file with this content lives inside the files folder: ``ab/<sha256>.pdf``."""
    return f"{sha256[:2]}/{sha256}.pdf"


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_regular(path: Path, *, follow: bool = True) -> bool:
    try:
        return stat.S_ISREG((os.stat if follow else os.lstat)(path).st_mode)  # follow: through links
    except OSError:
        return False


# --- Writing -----------------------------------------------------------------------


def _rows(snapshot: Path) -> list[tuple[int, str, str]]:
    """(id, kind, path) of every attachment in the backed-up copy (none before schema 0006)."""
    with db.connection(snapshot, readonly=True) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='attachment'").fetchone():
            return []
        return [
            (int(i), str(k), str(p)) for i, k, p in conn.execute("SELECT id, kind, path FROM attachment ORDER BY id")
        ]


def write_files(archive: zipfile.ZipFile, snapshot: Path, files_dir: Path) -> tuple[dict[str, Any], Written]:
    """Stream the files that ``snapshot``'s attachments reference into ``archive``.

    Returns the manifest's additions and what was written. A file that is
    missing or not a regular file is named in ``problems`` and left out; the
    rest of the backup is still written.
    """
    places: dict[tuple[str, str], list[int]] = {}
    for ident, kind, path in _rows(snapshot):
        places.setdefault((kind, path), []).append(ident)
    entries: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    problems: list[str] = []
    total = 0
    for n, ((kind, path), ids) in enumerate(places.items(), 1):
        if kind == "stored":
            source = files_dir / path
            member = STORED_PREFIX + PurePosixPath(path).as_posix()
        else:
            source = Path(path)
            member = f"{LINKED_PREFIX}{n}/{source.name or 'file.pdf'}"
        if not _is_regular(source, follow=kind != "stored"):  # a link in the files folder is no stored PDF
            why = "missing" if not os.path.lexists(source) else "not a regular file"
            problems.append(f"{source}: {why}; left out of the backup")
            missing.append({"kind": kind, "path": path, "attachments": ids})
            continue
        try:
            sha256, size = _stream_in(archive, source, member)
        except OSError as exc:
            problems.append(f"{source}: could not be read ({exc.strerror or exc}); left out of the backup")
            missing.append({"kind": kind, "path": path, "attachments": ids})
            continue
        total += size
        entries.append(
            {"member": member, "kind": kind, "path": path, "size": size, "sha256": sha256, "attachments": ids}
        )
    return {"files": entries, "missing": missing, "files_size": total}, Written(len(entries), total, problems)


def _stream_in(archive: zipfile.ZipFile, source: Path, member: str) -> tuple[str, int]:
    """Copy ``source`` into ``archive`` as ``member`` in 1 MB chunks; its sha256 and size, of what was written."""
    info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as stream, archive.open(info, "w", force_zip64=True) as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


# --- Restoring -----------------------------------------------------------------------


@dataclass
class FilesRestored:
    """What putting a backup's files back did, for the restore's summary."""

    files_dir: Path
    placed: int = 0  # files written
    kept: int = 0  # identical files that were there already
    ignored: int = 0  # members no attachment of the restored library references (or not PDFs): left out
    untrashed: int = 0  # stored files brought back from the files folder's trash
    notes: list[str] = field(default_factory=list)  # one line each: re-pointed, kept aside, missing

    def lines(self) -> list[str]:
        head = f"PDFs: {self.placed} put back"
        if self.kept:
            head += f", {self.kept} already there"
        if self.untrashed:
            head += f", {self.untrashed} brought back from the trash"
        lines = [f"{head} ({self.files_dir})", *self.notes]
        if self.ignored:
            many = "1 file" if self.ignored == 1 else f"{self.ignored} files"
            were = "was" if self.ignored == 1 else "were"
            lines.append(f"{many} in the archive that the library does not reference {were} left out")
        return lines


@dataclass
class _Step:
    """One file to put in place once the library is restored."""

    temp: Path  # extracted and checked, beside ``dest``
    dest: Path


@dataclass
class Plan:
    result: FilesRestored
    steps: list[_Step] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)
    #: ((kind, path) as the backup's attachments have it, the new path inside the files folder)
    relinks: list[tuple[tuple[str, str], str]] = field(default_factory=list)

    def place(self) -> FilesRestored:
        """Link every checked file into place (never over an existing name); the summary."""
        for step in self.steps:
            try:
                _link_into_place(step.temp, step.dest)
            except OSError as exc:  # the library is restored by now: say so, and go on
                why = "a file appeared there meanwhile" if isinstance(exc, FileExistsError) else exc.strerror or exc
                self.result.notes.append(f"{step.dest}: could not be put back ({why}); it is still in the backup")
                continue
            self.result.placed += 1
        return self.result


def _link_into_place(temp: Path, dest: Path) -> None:
    fsutil.make_private_dirs(dest.parent)
    try:
        os.link(temp, dest)  # fails on an existing name: nothing is ever overwritten
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(dest):  # a file system without hard links: check, then rename
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(dest)) from None
        os.replace(temp, dest)
        return
    with contextlib.suppress(OSError):
        os.unlink(temp)


def manifest_files(manifest: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The manifest's file entries, or None for a library-only backup."""
    if not manifest or not isinstance(manifest.get("files"), list):
        return None
    return list(manifest["files"])


@contextlib.contextmanager
def staged(source: Path, manifest: dict[str, Any], candidate: Path, files_dir: Path) -> Iterator[Plan]:
    """Extract and check every file of backup ``source``; re-point ``candidate``'s attachments where needed.

    On leaving with an exception, or without :meth:`Plan.place`, every
    temporary file is removed and nothing else was touched. A damaged archive
    raises PapershelfError in one line.
    """
    files_dir = fsutil.follow_links(files_dir)[0]  # a linked files folder: written through
    plan = Plan(FilesRestored(files_dir))
    try:
        references = _references(candidate)
        with zipfile.ZipFile(source) as archive:
            taken: set[Path] = set()
            for entry in manifest_files(manifest) or []:
                checked = _entry(source, entry)
                if _referenced(checked, references) and _is_pdf_member(archive, checked["member"]):
                    _stage(archive, checked, files_dir, plan, taken, source)
                else:
                    plan.result.ignored += 1
        _repoint(candidate, plan)
        missing = manifest.get("missing") or []
        if missing:
            names = ", ".join(str(m.get("path")) for m in missing[:3] if isinstance(m, dict))
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            plan.result.notes.append(
                f"{len(missing)} PDF{'' if len(missing) == 1 else 's'} missing when the backup was taken: {names}{more}"
            )
        yield plan
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        raise PapershelfError(f"{source}: a damaged backup ({_one_line(exc)}); nothing was restored") from None
    except OSError as exc:  # the files folder is not writable, is a file, the disk is full
        from .exporters import _reason

        where = Path(exc.filename or files_dir)
        where = files_dir if where.is_relative_to(files_dir) else where
        raise PapershelfError(
            f"{where}: cannot put the backup's PDFs there ({_reason(exc)}); nothing was restored"
        ) from None
    finally:
        for temp in plan.temps:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _entry(source: Path, entry: Any) -> dict[str, Any]:
    """A manifest entry, checked: the archive is not trusted to name where files go."""
    try:
        kind, path, sha256, member = entry["kind"], entry["path"], entry["sha256"], entry["member"]
        size = int(entry["size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PapershelfError(f"{source}: a damaged backup (manifest entry {exc}); nothing was restored") from None
    bad = not (isinstance(path, str) and isinstance(member, str) and isinstance(sha256, str))
    bad = bad or kind not in ("stored", "linked") or not _SHA.fullmatch(str(sha256))
    if not bad and kind == "stored":
        parts = PurePosixPath(path).parts
        bad = (
            PurePosixPath(path).is_absolute()
            or not parts
            or any(p in ("", ".", "..") or p.startswith(".") for p in parts)
        )
    if not bad and kind == "linked":
        bad = not os.path.isabs(path)
    if bad:
        raise PapershelfError(f"{source}: a damaged backup (a file entry names {path!r}); nothing was restored")
    return {"kind": kind, "path": path, "sha256": sha256, "member": member, "size": size}


def _references(candidate: Path) -> dict[tuple[str, str], set[str]]:
    """(kind, path) -> the sha256s the restored library's attachments record there."""
    try:
        rows = _attachment_rows(candidate)
    except sqlite3.Error as exc:
        raise PapershelfError(f"{candidate}: cannot read the backup's attachments ({exc})") from None
    found: dict[tuple[str, str], set[str]] = {}
    for kind, path, sha256 in rows:
        found.setdefault((kind, path), set()).add(sha256)
    return found


def _attachment_rows(library: Path) -> list[tuple[str, str, str]]:
    with db.connection(library, readonly=True) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='attachment'").fetchone():
            return []
        return [(str(k), str(p), str(s)) for k, p, s in conn.execute("SELECT kind, path, sha256 FROM attachment")]


def _referenced(entry: dict[str, Any], references: dict[tuple[str, str], set[str]]) -> bool:
    """Whether an attachment records this entry's kind and path, with its content (a stored one: at a content path).

    A file edited in place after it was attached (a viewer saving highlights)
    no longer has the attachment's sha256; it still goes back, where the
    attachment says, and the app notices the change as for any edited file.
    """
    shas = references.get((entry["kind"], entry["path"]))
    if not shas:
        return False
    if entry["kind"] == "linked":
        return True
    return any(re.fullmatch(rf"{s[:2]}/{s}(-\d+)?\.pdf", entry["path"]) for s in shas if _SHA.fullmatch(s))


def _is_pdf_member(archive: zipfile.ZipFile, member: str) -> bool:
    """Whether ``member`` starts like a PDF; a name the archive lacks is left to extraction (a damaged backup)."""
    try:
        with archive.open(member) as packed:
            return PDF_MAGIC in packed.read(1024)
    except KeyError:
        return True


def _stage(
    archive: zipfile.ZipFile, entry: dict[str, Any], files_dir: Path, plan: Plan, taken: set[Path], source: Path
) -> None:
    """Decide where one file goes, and extract it (checked) beside that place."""
    sha256, kind, path = entry["sha256"], entry["kind"], entry["path"]
    if kind == "linked":
        original = Path(path)
        real = fsutil.follow_links(original)[0]
        free = (
            original.suffix.lower() == ".pdf"  # an archive may not write any file it names
            and real.parent.is_dir()
            and os.access(real.parent, os.W_OK)  # else into the files folder, not a failed restore
            and not os.path.lexists(real)
            and real not in taken
        )
        if free:
            _extract(archive, entry, real, plan, source)
            taken.add(real)
            plan.result.notes.append(f"{original}: put back where it was")
            return
        if _same_content(real, sha256):
            plan.result.kept += 1
            return
        rel = stored_path(sha256)
        if os.path.lexists(real) or real in taken:
            why = "that place is taken"
        elif original.suffix.lower() != ".pdf":
            why = "its name does not end in .pdf, and a backup writes only .pdf files outside the files folder"
        elif not real.parent.is_dir():
            why = "its folder is gone"
        else:
            why = "its folder is not writable"
        note = f"{original}: {why}; restored into the files folder as {rel}, and its attachment points there"
        _stage_stored(archive, entry, files_dir, rel, plan, taken, source, relink=("linked", path), note=note)
        return
    _stage_stored(archive, entry, files_dir, path, plan, taken, source, relink=None, note=None)


def _stage_stored(
    archive: zipfile.ZipFile,
    entry: dict[str, Any],
    files_dir: Path,
    rel: str,
    plan: Plan,
    taken: set[Path],
    source: Path,
    *,
    relink: tuple[str, str] | None,
    note: str | None,
) -> None:
    """Put one file at ``rel`` in the files folder, or beside a different file already there (``-1``, ``-2``…)."""
    sha256, wanted = entry["sha256"], rel
    for n in range(1, 1000):
        dest = fsutil.follow_links(files_dir / rel)[0]  # a link in the files folder: written through
        if dest in taken or _same_content(dest, sha256):
            if dest not in taken:
                plan.result.kept += 1
            break  # that content is (or will be) there already
        if not os.path.lexists(dest):
            _extract(archive, entry, dest, plan, source)
            taken.add(dest)
            break
        stem = PurePosixPath(wanted)
        rel = str(stem.with_name(f"{stem.stem}-{n}{stem.suffix}"))
    else:
        raise PapershelfError(f"{files_dir / wanted}: no free name to restore it under; nothing was restored")
    if rel != wanted:
        relink = relink or ("stored", entry["path"])
        note = note or (
            f"{files_dir / wanted}: differs from the backup's copy; kept it, and put the backup's beside it "
            f"as {rel}, where its attachment now points"
        )
        if note.endswith(f"as {wanted}, and its attachment points there"):
            note = note.replace(f"as {wanted},", f"as {rel},")
    if relink:
        plan.relinks.append((relink, rel))
    if note:
        plan.result.notes.append(note)


def _same_content(path: Path, sha256: str) -> bool:
    """True for a regular file (through links) whose content has this sha256; never reads a FIFO or device."""
    if not _is_regular(path):
        return False
    try:
        return _hash_file(path)[0] == sha256
    except OSError:
        return False


def _extract(archive: zipfile.ZipFile, entry: dict[str, Any], dest: Path, plan: Plan, source: Path) -> None:
    """Extract one member into a hidden temporary file beside ``dest``, checking its size and sha256."""
    fsutil.make_private_dirs(dest.parent)
    temp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.restoring")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), fsutil.NEW_FILE_MODE)
    plan.temps.append(temp)
    digest, size = hashlib.sha256(), 0
    with os.fdopen(fd, "wb") as out, archive.open(entry["member"]) as packed:
        while chunk := packed.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if size > entry["size"]:  # more than the manifest says (a zip bomb?): stop before the disk fills
                break
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
        raise PapershelfError(
            f"{source}: a damaged backup ({entry['member']} does not match its checksum); nothing was restored"
        )
    plan.steps.append(_Step(temp, dest))


def _repoint(candidate: Path, plan: Plan) -> None:
    """Point the restored attachments at where their files really went (in the unpacked backup, before it is used)."""
    if not plan.relinks:
        return
    conn = db.connect(candidate)
    try:
        with conn:
            for (kind, old), new in plan.relinks:
                conn.execute(
                    "UPDATE OR IGNORE attachment SET kind = 'stored', path = ?, missing_since = NULL "
                    "WHERE kind = ? AND path = ?",
                    (new, kind, old),
                )
    except sqlite3.Error as exc:
        raise PapershelfError(f"{candidate}: cannot point attachments at restored files ({exc})") from None
    finally:
        db.disconnect(conn, candidate)
