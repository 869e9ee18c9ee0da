"""Backups with files: one archive holds the library and its PDFs, and restoring it brings both back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from papershelf.core import backup, backup_files, db
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library
from papershelf.core.pdf.minimal import text_pdf

SEP11 = dt.date(2025, 9, 11)
PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdfs"


def pdf_bytes(label: str) -> bytes:
    """A small, valid one-page PDF whose content differs by ``label`` (real PDFs: see ``real_pdfs``)."""
    return text_pdf([[label]])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def filled(library_path, sample_text):
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
        lib.add_note(1, "precious note")
    return library_path


@pytest.fixture
def files_dir(filled):
    return filled.parent / "library files"


def add_attachment(library: Path, paper_id: int, kind: str, path: str, data: bytes, name: str = "paper.pdf") -> int:
    """An attachment row as the attach code writes it (tests of backups need no PDF reading)."""
    with db.connection(library) as conn, conn:
        cur = conn.execute(
            "INSERT INTO attachment (paper_id, kind, path, name, size, sha256, origin, added_at, text_state) "
            "VALUES (?, ?, ?, ?, ?, ?, 'attached', ?, 'done')",
            (paper_id, kind, path, name, len(data), sha(data), dt.datetime(2026, 1, 2).isoformat(" ")),
        )
        return int(cur.lastrowid or 0)


def store(library: Path, files_dir: Path, paper_id: int, data: bytes) -> Path:
    """A stored file, content-addressed in the files folder, and its attachment."""
    rel = backup_files.stored_path(sha(data))
    (files_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (files_dir / rel).write_bytes(data)
    add_attachment(library, paper_id, "stored", rel, data)
    return files_dir / rel


def rows(library: Path) -> list[tuple]:
    with db.connection(library) as conn:
        return conn.execute("SELECT paper_id, kind, path, text_state FROM attachment ORDER BY id").fetchall()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def attached(filled, files_dir, tmp_path):
    """Two stored PDFs (one shared by two papers), one linked PDF outside, and the trash and a partial download."""
    a, b, c = pdf_bytes("first paper"), pdf_bytes("second paper"), pdf_bytes("linked paper")
    store(filled, files_dir, 1, a)
    store(filled, files_dir, 2, b)
    add_attachment(filled, 3, "stored", backup_files.stored_path(sha(b)), b)
    mine = tmp_path / "my papers"
    mine.mkdir()
    (mine / "Vaswani 2017.pdf").write_bytes(c)
    add_attachment(filled, 4, "linked", str(mine / "Vaswani 2017.pdf"), c, "Vaswani 2017.pdf")
    (files_dir / ".trash").mkdir()
    (files_dir / ".trash" / "deleted.pdf").write_bytes(pdf_bytes("deleted"))
    (files_dir / ".partial").mkdir()
    (files_dir / ".partial" / "2501.00001.pdf").write_bytes(b"%PDF-1.4 half")
    return {"a": a, "b": b, "c": c, "linked": mine / "Vaswani 2017.pdf"}


def test_backup_with_files_holds_the_library_backup_and_every_referenced_pdf(attached, filled, files_dir, tmp_path):
    made, written = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    assert (written.files, written.problems) == (3, [])
    assert written.size == sum(len(attached[k]) for k in "abc")
    assert "-manual-with-files-" in made.name and made.name.endswith(".sqlite3.zip")
    with zipfile.ZipFile(made) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(backup.MANIFEST))
        for entry in manifest["files"]:
            assert sha(zf.read(entry["member"])) == entry["sha256"]
    assert backup.MEMBER in names
    assert f"files/{backup_files.stored_path(sha(attached['a']))}" in names
    assert any(n.startswith("linked/") and n.endswith("/Vaswani 2017.pdf") for n in names)
    assert not any(".trash" in n or ".partial" in n for n in names)  # neither the trash nor half downloads
    assert manifest["kind"] == "manual" and manifest["missing"] == []
    # The library part is the library backup as `backup` writes it.
    plain = backup.backup(filled, folder=tmp_path / "plain")
    with zipfile.ZipFile(plain) as zf:
        assert zf.namelist() == [backup.MANIFEST, backup.MEMBER]
        assert "files" not in json.loads(zf.read(backup.MANIFEST))
    assert backup.summarize(made).describe().endswith("49 papers, 1 note, 0 lists · with 3 PDFs")
    assert "PDF" not in backup.summarize(plain).describe()


def test_daily_backups_stay_library_only(attached, filled, tmp_path):
    made = backup.daily(filled, tmp_path / "backups")
    assert made is not None
    assert backup.summarize(made).files is None
    with zipfile.ZipFile(made) as zf:
        assert zf.namelist() == [backup.MANIFEST, backup.MEMBER]


def test_restore_brings_back_the_library_and_its_files(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    before = rows(filled)
    stored_before = {k: v for k, v in tree(files_dir).items() if not k.startswith(".")}
    # The disk is lost: a new machine, the same places.
    filled.unlink()
    for p in files_dir.rglob("*"):
        if p.is_file():
            p.unlink()
    attached["linked"].unlink()
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert done.files is not None and (done.files.placed, done.files.kept) == (3, 0)
    assert {k: v for k, v in tree(files_dir).items() if not k.startswith(".")} == stored_before
    assert attached["linked"].read_bytes() == attached["c"]
    assert f"{attached['linked']}: put back where it was" in done.files.lines()
    # The same attachments, their text to be read again (a backup holds none).
    assert [r[:3] for r in rows(filled)] == [r[:3] for r in before]
    assert {r[3] for r in rows(filled)} == {"pending"}
    assert not [p for p in files_dir.rglob("*.restoring")] and not list(attached["linked"].parent.glob(".*"))
    with Library(filled) as lib:
        assert [n.text for n in lib.get(1).notes] == ["precious note"]


def test_restore_keeps_identical_files_and_never_overwrites_a_different_one(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    a_path = files_dir / backup_files.stored_path(sha(attached["a"]))
    a_path.write_bytes(b"%PDF-1.4 something else entirely")  # damaged on disk, or someone's file
    attached["linked"].write_bytes(pdf_bytes("the user's newer copy, annotated"))
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert done.files is not None
    # Nothing that was there changed.
    assert a_path.read_bytes() == b"%PDF-1.4 something else entirely"
    assert attached["linked"].read_bytes() == pdf_bytes("the user's newer copy, annotated")
    # The backup's copies went beside them, and the attachments point there.
    a_rel = backup_files.stored_path(sha(attached["a"])).replace(".pdf", "-1.pdf")
    assert (files_dir / a_rel).read_bytes() == attached["a"]
    c_rel = backup_files.stored_path(sha(attached["c"]))
    assert (files_dir / c_rel).read_bytes() == attached["c"]
    got = rows(filled)
    assert got[0][:3] == (1, "stored", a_rel)
    assert got[3][:3] == (4, "stored", c_rel)
    assert (done.files.placed, done.files.kept) == (2, 1)  # b was there already, identical
    text = "\n".join(done.files.lines())
    assert "differs from the backup's copy; kept it" in text and a_rel in text
    assert f"{attached['linked']}: that place is taken; restored into the files folder as {c_rel}" in text


def test_a_damaged_archive_changes_nothing_and_says_so_in_one_line(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    member = f"files/{backup_files.stored_path(sha(attached['b']))}"
    with zipfile.ZipFile(made) as zf:
        offset = zf.getinfo(member).header_offset
    data = bytearray(made.read_bytes())
    at = data.index(b"second paper", offset)  # the PDF's own text, stored uncompressed
    data[at : at + 6] = b"SECOND"
    made.write_bytes(bytes(data))
    with Library(filled) as lib:
        lib.add_note(2, "written after the backup")
    (files_dir / backup_files.stored_path(sha(attached["b"]))).unlink()
    library_before, files_before = rows(filled), tree(files_dir)
    with pytest.raises(PapershelfError) as caught:
        backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    message = str(caught.value)
    assert f"{made}: a damaged backup (Bad CRC-32 for file '{member}'); nothing was restored" == message
    assert "\n" not in message and str(made) in message and "nothing was restored" in message
    assert rows(filled) == library_before and tree(files_dir) == files_before
    with Library(filled) as lib:
        assert [n.text for n in lib.get(2).notes] == ["written after the backup"]
    assert len(backup.list_backups(tmp_path / "backups")) == 1  # not even a safety backup


def test_a_file_that_does_not_match_its_checksum_changes_nothing(attached, filled, files_dir, tmp_path):
    """A rewritten archive (CRCs right, content not the one backed up) is caught by the manifest's sha256."""
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    member = f"files/{backup_files.stored_path(sha(attached['b']))}"
    with zipfile.ZipFile(made) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[member] = pdf_bytes("not what was backed up")
    forged = tmp_path / "forged.sqlite3.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    for p in files_dir.rglob("*.pdf"):
        p.unlink()
    before = tree(files_dir)
    with pytest.raises(PapershelfError) as caught:
        backup.restore(filled, forged, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert str(caught.value) == (
        f"{forged}: a damaged backup ({member} does not match its checksum); nothing was restored"
    )
    assert tree(files_dir) == before


def test_a_member_larger_than_its_manifest_says_is_not_unpacked_to_the_end(
    attached, filled, files_dir, tmp_path, monkeypatch
):
    """A zip bomb (60 MB of zeros packed into 60 kB) stops at the manifest's size instead of filling the disk."""
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    member = f"files/{backup_files.stored_path(sha(attached['b']))}"
    with zipfile.ZipFile(made) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[member] = b"%PDF-1.4\n" + bytes(60_000_000)  # starts like a PDF, so it is unpacked
    bomb = tmp_path / "bomb.sqlite3.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert bomb.stat().st_size < 1_000_000
    for p in files_dir.rglob("*.pdf"):
        p.unlink()
    written: list[int] = []
    real_fdopen = os.fdopen

    def counting_fdopen(*args, **kwargs):
        stream = real_fdopen(*args, **kwargs)
        original = stream.write

        def write(chunk):
            written.append(len(chunk))
            return original(chunk)

        stream.write = write
        return stream

    monkeypatch.setattr(os, "fdopen", counting_fdopen)
    with pytest.raises(PapershelfError, match="does not match its checksum"):
        backup.restore(filled, bomb, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    monkeypatch.undo()
    assert sum(written) <= 2 * backup_files.CHUNK
    assert not [p for p in files_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert not list(files_dir.rglob("*.restoring"))


def test_a_missing_file_is_named_and_the_rest_is_backed_up(attached, filled, files_dir, tmp_path):
    gone = files_dir / backup_files.stored_path(sha(attached["a"]))
    gone.unlink()
    made, written = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    assert written.files == 2
    assert written.problems == [f"{gone}: missing; left out of the backup"]
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert done.files is not None
    assert any(line.startswith("1 PDF missing when the backup was taken: ") for line in done.files.lines())


def test_a_fifo_in_the_files_folder_is_not_read(attached, filled, files_dir, tmp_path):
    fifo = files_dir / backup_files.stored_path(sha(attached["a"]))
    fifo.unlink()
    os.mkfifo(fifo)
    _made, written = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    assert written.problems == [f"{fifo}: not a regular file; left out of the backup"]


def test_a_symlinked_destination_is_written_through(attached, filled, files_dir, tmp_path):
    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    (elsewhere / "old.zip").write_bytes(b"an older archive")
    link = tmp_path / "backup-link.zip"
    link.symlink_to(elsewhere / "old.zip")
    made, _ = backup.backup_with_files(filled, link, folder=tmp_path / "backups", files_dir=files_dir)
    assert made == link and link.is_symlink()
    assert backup.summarize(elsewhere / "old.zip").files == 3


def test_restore_writes_through_a_linked_files_folder(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    real = tmp_path / "big disk" / "pdfs"
    real.mkdir(parents=True)
    os.rename(files_dir, tmp_path / "old files")
    files_dir.symlink_to(real)
    backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert files_dir.is_symlink()
    assert (real / backup_files.stored_path(sha(attached["a"]))).read_bytes() == attached["a"]


def test_a_linked_file_whose_folder_is_gone_goes_into_the_files_folder(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    attached["linked"].unlink()
    attached["linked"].parent.rmdir()
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert not attached["linked"].parent.exists()  # no folder is made where the archive says
    rel = backup_files.stored_path(sha(attached["c"]))
    assert rows(filled)[3][:3] == (4, "stored", rel)
    assert done.files is not None and any("its folder is gone" in line for line in done.files.lines())


def test_a_linked_file_whose_folder_is_read_only_goes_into_the_files_folder(
    attached, filled, files_dir, tmp_path, monkeypatch
):
    """Before, the restore failed as a whole on 'permission denied' in the user's folder."""
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    attached["linked"].unlink()
    folder = attached["linked"].parent
    folder.chmod(0o500)
    real_access = os.access
    # As root, os.access says yes to everything: answer as for an ordinary user.
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    try:
        done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    finally:
        folder.chmod(0o700)
    assert not attached["linked"].exists()
    rel = backup_files.stored_path(sha(attached["c"]))
    assert (files_dir / rel).read_bytes() == attached["c"]
    assert rows(filled)[3][:3] == (4, "stored", rel)
    assert done.files is not None
    assert f"{attached['linked']}: its folder is not writable; restored into the files folder as {rel}" in "\n".join(
        done.files.lines()
    )


def test_a_files_folder_that_cannot_be_written_is_named_and_nothing_is_restored(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    os.rename(files_dir, tmp_path / "moved")
    files_dir.write_bytes(b"a file where the folder was")
    with Library(filled) as lib:
        lib.add_note(2, "written after the backup")
    before = rows(filled)
    with pytest.raises(PapershelfError) as caught:
        backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert str(caught.value) == (
        f"{files_dir}: cannot put the backup's PDFs there (part of the path is not a folder); nothing was restored"
    )
    assert rows(filled) == before and files_dir.read_bytes() == b"a file where the folder was"
    with Library(filled) as lib:
        assert [n.text for n in lib.get(2).notes] == ["written after the backup"]


def test_an_archive_cannot_name_where_files_go(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    with zipfile.ZipFile(made) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members[backup.MANIFEST])
    manifest["files"][0]["path"] = "../../escaped.pdf"
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    evil = tmp_path / "evil.sqlite3.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(PapershelfError, match="a damaged backup"):
        backup.restore(filled, evil, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert not (files_dir.parent.parent / "escaped.pdf").exists()


def test_restore_without_a_files_folder_restores_the_library_only(attached, filled, files_dir, tmp_path):
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    done = backup.restore(filled, made, folder=tmp_path / "backups", force=True)
    assert done.files is None and done.after.files == 3


def test_a_library_only_backup_restores_as_before(attached, filled, files_dir, tmp_path):
    made = backup.backup(filled, folder=tmp_path / "backups")
    before = tree(files_dir)
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert done.files is None and tree(files_dir) == before


def test_backup_of_a_library_without_attachments(filled, files_dir, tmp_path):
    made, written = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    assert (written.files, written.problems) == (0, [])
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert done.files is not None and done.files.lines()[0].startswith("PDFs: 0 put back")


def test_real_pdfs_round_trip_byte_for_byte(filled, files_dir, tmp_path):
    real = sorted(PDFS.glob("*.pdf"))[:4] if PDFS.is_dir() else []
    if not real:
        pytest.skip("no real PDFs in tests/fixtures/pdfs yet")
    for paper_id, pdf in enumerate(real, 1):
        store(filled, files_dir, paper_id, pdf.read_bytes())
    made, written = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    assert written.files == len(real)
    before = tree(files_dir)
    for p in files_dir.rglob("*.pdf"):
        p.unlink()
    backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert tree(files_dir) == before


def rewritten(made: Path, dest: Path, change) -> Path:
    """A copy of archive ``made`` whose members (name -> bytes, the manifest parsed) ``change`` edits in place."""
    with zipfile.ZipFile(made) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop(backup.MANIFEST))
    change(members, manifest)
    with zipfile.ZipFile(dest, "w") as zf:
        zf.writestr(backup.MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def add_member(members: dict, manifest: dict, member: str, kind: str, path: str, data: bytes) -> None:
    members[member] = data
    manifest["files"].append(
        {"member": member, "kind": kind, "path": path, "size": len(data), "sha256": sha(data), "attachments": [9]}
    )


def test_a_hand_made_archive_writes_nothing_the_library_does_not_reference(attached, filled, files_dir, tmp_path):
    """Found by an attack review: added manifest entries wrote any content at any absolute *.pdf path."""
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    shell = b"#!/bin/sh\necho pwned\n"
    unreferenced = pdf_bytes("no attachment has this")

    def change(members, manifest):
        add_member(members, manifest, "linked/90/evil.pdf", "linked", str(outside / "evil.pdf"), shell)
        add_member(members, manifest, "linked/91/evil2.pdf", "linked", str(outside / "evil2.pdf"), unreferenced)
        add_member(members, manifest, "files/deep/er/x.pdf", "stored", "deep/er/x.pdf", unreferenced)
        rel = backup_files.stored_path(sha(unreferenced))
        add_member(members, manifest, f"files/{rel}", "stored", rel, unreferenced)
        # The linked attachment's own entry, its content swapped for a script: referenced, but not a PDF.
        [linked] = [e for e in manifest["files"] if e["kind"] == "linked" and e["path"] == str(attached["linked"])]
        members[linked["member"]] = shell
        linked.update(size=len(shell), sha256=sha(shell))

    evil = rewritten(made, tmp_path / "evil.sqlite3.zip", change)
    attached["linked"].unlink()
    for p in files_dir.rglob("*.pdf"):
        p.unlink()
    done = backup.restore(filled, evil, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert list(outside.iterdir()) == [] and not attached["linked"].exists()
    assert not (files_dir / "deep").exists()
    assert not (files_dir / backup_files.stored_path(sha(unreferenced))).exists()
    # What the library references came back.
    assert (files_dir / backup_files.stored_path(sha(attached["a"]))).read_bytes() == attached["a"]
    assert (files_dir / backup_files.stored_path(sha(attached["b"]))).read_bytes() == attached["b"]
    assert done.files is not None and done.files.placed == 2
    lines = done.files.lines()
    assert "5 files in the archive that the library does not reference were left out" in lines
    assert not any("evil" in line for line in lines)


def test_a_stored_entry_only_goes_to_a_content_path_of_its_attachment(attached, filled, files_dir, tmp_path):
    """A crafted library whose attachment names another path in the files folder does not let the archive write there."""
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    a_rel = backup_files.stored_path(sha(attached["a"]))
    with db.connection(filled) as conn, conn:
        conn.execute("UPDATE attachment SET path = 'xx/evil.pdf' WHERE path = ?", (a_rel,))
    with zipfile.ZipFile(backup.backup(filled, folder=tmp_path / "plain")) as zf:
        crafted_library = zf.read(backup.MEMBER)

    def change(members, manifest):
        members[backup.MEMBER] = crafted_library
        [entry] = [e for e in manifest["files"] if e["path"] == a_rel]
        entry["path"], entry["member"] = "xx/evil.pdf", "files/xx/evil.pdf"
        members["files/xx/evil.pdf"] = members.pop(f"files/{a_rel}")

    forged = rewritten(made, tmp_path / "forged.sqlite3.zip", change)
    for p in files_dir.rglob("*.pdf"):
        p.unlink()
    done = backup.restore(filled, forged, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert not (files_dir / "xx").exists()
    assert done.files is not None and (done.files.placed, done.files.kept, done.files.ignored) == (1, 1, 1)


def test_a_linked_file_edited_in_place_after_attaching_still_comes_back(attached, filled, files_dir, tmp_path):
    """Its content no longer has the attachment's sha256 (a viewer saved highlights into it): it is the user's file."""
    annotated = pdf_bytes("linked paper, with the user's highlights")
    attached["linked"].write_bytes(annotated)
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    attached["linked"].unlink()
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert attached["linked"].read_bytes() == annotated
    assert done.files is not None and done.files.ignored == 0


def test_a_linked_file_not_named_pdf_goes_into_the_files_folder_and_says_why(attached, filled, files_dir, tmp_path):
    """Found by an attack review: the reason given was 'its folder is not writable' though it was."""
    data = pdf_bytes("no suffix")
    noext = attached["linked"].parent / "paper-noext"
    noext.write_bytes(data)
    add_attachment(filled, 5, "linked", str(noext), data, "paper-noext")
    made, _ = backup.backup_with_files(filled, folder=tmp_path / "backups", files_dir=files_dir)
    noext.unlink()
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert not noext.exists()  # an archive writes only .pdf files outside the files folder
    rel = backup_files.stored_path(sha(data))
    assert (files_dir / rel).read_bytes() == data
    assert rows(filled)[-1][:3] == (5, "stored", rel)
    assert done.files is not None
    text = "\n".join(done.files.lines())
    assert f"{noext}: its name does not end in .pdf" in text and "not writable" not in text


def test_restoring_a_plain_backup_brings_the_papers_stored_files_back_from_the_trash(
    attached, filled, files_dir, tmp_path
):
    """Found by an attack review: after delete then restore, the PDF stayed in .trash/ and the paper showed MISSING."""
    made = backup.backup(filled, folder=tmp_path / "backups")
    rel = backup_files.stored_path(sha(attached["a"]))
    # What deleting paper 1 does: its attachment goes, and its stored file moves to the trash.
    with db.connection(filled) as conn, conn:
        conn.execute("DELETE FROM attachment WHERE paper_id = 1")
    (files_dir / ".trash" / rel).parent.mkdir(parents=True)
    os.rename(files_dir / rel, files_dir / ".trash" / rel)
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert (files_dir / rel).read_bytes() == attached["a"]
    assert not (files_dir / ".trash" / rel).exists()
    assert done.untrashed == 1
    assert (files_dir / ".trash" / "deleted.pdf").exists()  # what the library does not reference stays


def test_a_file_in_the_trash_does_not_replace_one_already_in_place(attached, filled, files_dir, tmp_path):
    made = backup.backup(filled, folder=tmp_path / "backups")
    rel = backup_files.stored_path(sha(attached["a"]))
    (files_dir / ".trash" / rel).parent.mkdir(parents=True)
    (files_dir / ".trash" / rel).write_bytes(b"%PDF-1.4 an older copy")
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir)
    assert (files_dir / rel).read_bytes() == attached["a"] and done.untrashed == 0
    assert (files_dir / ".trash" / rel).read_bytes() == b"%PDF-1.4 an older copy"


def test_a_link_in_the_trash_is_not_brought_back(attached, filled, files_dir, tmp_path):
    made = backup.backup(filled, folder=tmp_path / "backups")
    rel = backup_files.stored_path(sha(attached["a"]))
    with db.connection(filled) as conn, conn:
        conn.execute("DELETE FROM attachment WHERE paper_id = 1")
    (files_dir / rel).unlink()
    (files_dir / ".trash" / rel).parent.mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a PDF of the library")
    (files_dir / ".trash" / rel).symlink_to(secret)
    done = backup.restore(filled, made, folder=tmp_path / "backups", files_dir=files_dir, force=True)
    assert not os.path.lexists(files_dir / rel) and done.untrashed == 0
