"""`papershelf backup --with-files`, `restore` of such an archive and `backups`, as a user runs them."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from papershelf import paths
from papershelf.core import backup, backup_files
from papershelf.core.library import Library
from tests.core.test_backup_files import SEP11, add_attachment, sha, store, tree

ROOT = Path(__file__).resolve().parents[2]
PDFS = ROOT / "tests" / "fixtures" / "pdfs"
PAPER = (PDFS / "sympy-paper.pdf").read_bytes()  # real PDFs (SOURCES.md there)
HELLO = (PDFS / "asciihexdecode.pdf").read_bytes()


@pytest.fixture
def files_dir(library_path):
    return paths.files_dir(library_path)


@pytest.fixture
def attached(library_path, files_dir, sample_text, tmp_path):
    """A library whose paper 1 has a stored PDF and paper 2 a PDF linked where the user keeps it."""
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
        lib.add_note(1, "precious note")
    stored = store(library_path, files_dir, 1, PAPER)
    mine = tmp_path / "my papers"
    mine.mkdir()
    linked = mine / "hello.pdf"
    linked.write_bytes(HELLO)
    add_attachment(library_path, 2, "linked", str(linked), HELLO, "hello.pdf")
    return {"stored": stored, "linked": linked}


def one_archive(folder: Path) -> Path:
    [made] = [p for p in backup.list_backups(folder) if "-with-files-" in p.name]
    return made


def test_backup_with_files_prints_the_archive_and_what_it_holds(run, attached, library_path):
    code, out, err = run("backup", "--with-files")
    assert code == 0 and err == ""
    first, second = out.splitlines()
    made = Path(first)
    assert made == one_archive(paths.backups_dir(library_path))
    size = backup_files.human_size(len(PAPER) + len(HELLO))
    assert second == f"with 2 PDFs, {size}"
    with zipfile.ZipFile(made) as zf:
        assert zf.read(f"files/{backup_files.stored_path(sha(PAPER))}") == PAPER
        assert [zf.read(n) for n in zf.namelist() if n.startswith("linked/")] == [HELLO]


def test_backups_says_which_backups_carry_files(run, attached, library_path):
    assert run("backup")[0] == 0
    assert run("backup", "--with-files")[0] == 0
    code, out, _err = run("backups")
    assert code == 0
    about = dict(zip(out.splitlines()[::2], out.splitlines()[1::2], strict=True))
    with_files = [line for name, line in about.items() if "-with-files-" in name]
    plain = [line for name, line in about.items() if "-with-files-" not in name]
    assert len(with_files) == 1 and with_files[0].endswith("1 note, 0 lists · with 2 PDFs")
    assert len(plain) == 1 and "PDF" not in plain[0]


def test_the_plain_backup_stays_small(run, attached, library_path, tmp_path):
    """No PDF and no PDF text in it: the extracted text is read again after a restore."""
    with sqlite3.connect(library_path) as conn:
        conn.execute("INSERT INTO pdf_fts (rowid, body) VALUES (1, ?)", ("zanzibarquux " * 20_000,))
    code, out, _err = run("backup")
    assert code == 0
    with zipfile.ZipFile(out.strip()) as zf:
        assert zf.namelist() == [backup.MANIFEST, backup.MEMBER]
        library = zf.read(backup.MEMBER)
    assert b"zanzibarquux" not in library and PAPER[:4096] not in library


def test_restore_brings_back_the_library_and_the_files(run, attached, library_path, files_dir):
    made = Path(run("backup", "--with-files")[1].splitlines()[0])
    stored_before = tree(files_dir)
    # The disk is lost: the library, its files folder and the user's folder of PDFs.
    library_path.unlink()
    attached["stored"].unlink()
    attached["linked"].unlink()
    attached["linked"].parent.rmdir()
    code, out, err = run("restore", str(made))
    assert code == 0, err
    lines = out.splitlines()
    assert f"restored {library_path} from {made}" in lines
    assert f"PDFs: 2 put back ({files_dir})" in lines
    rel = backup_files.stored_path(sha(HELLO))
    assert (
        f"{attached['linked']}: its folder is gone; restored into the files folder as {rel}, "
        "and its attachment points there"
    ) in lines
    assert tree(files_dir) == {**stored_before, rel: HELLO}
    with Library(library_path) as lib:
        assert [n.text for n in lib.get(1).notes] == ["precious note"]


def test_restore_over_a_library_that_has_its_files_keeps_them(run, attached, library_path, files_dir):
    made = Path(run("backup", "--with-files")[1].splitlines()[0])
    before = tree(files_dir)
    code, out, err = run("restore", str(made))
    assert code == 0, err
    assert f"PDFs: 0 put back, 2 already there ({files_dir})" in out.splitlines()
    assert tree(files_dir) == before  # both files were there, identical: nothing written
    assert attached["linked"].read_bytes() == HELLO


def test_a_damaged_archive_is_one_line_and_changes_nothing(run, attached, library_path, files_dir):
    made = Path(run("backup", "--with-files")[1].splitlines()[0])
    data = bytearray(made.read_bytes())
    at = data.index(PAPER[-4096:])  # inside the stored PDF (kept uncompressed)
    data[at : at + 8] = b"XXXXXXXX"
    made.write_bytes(bytes(data))
    attached["stored"].unlink()
    with Library(library_path) as lib:
        lib.add_note(1, "written after the backup")
    with sqlite3.connect(f"file:{library_path}?mode=ro", uri=True) as conn:
        dump = "\n".join(conn.iterdump())
    files_before = tree(files_dir)
    code, out, err = run("restore", "--yes", str(made))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith(f"papershelf: error: {made}: a damaged backup (")
    assert err.rstrip().endswith("nothing was restored")
    with sqlite3.connect(f"file:{library_path}?mode=ro", uri=True) as conn:
        assert "\n".join(conn.iterdump()) == dump
    assert tree(files_dir) == files_before


def test_a_missing_pdf_is_a_warning_and_the_rest_is_backed_up(run, attached, library_path):
    attached["linked"].unlink()
    code, out, err = run("backup", "--with-files")
    assert code == 1  # the archive is written, but not everything is in it
    assert out.splitlines()[1].startswith("with 1 PDF, ")
    assert err == f"papershelf: warning: {attached['linked']}: missing; left out of the backup\n"
    assert backup.summarize(Path(out.splitlines()[0])).files == 1


def test_a_library_without_pdfs_backs_up_with_none(run, library_path, sample_text):
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
    code, out, _err = run("backup", "--with-files")
    assert code == 0 and out.splitlines()[1].startswith("with 0 PDFs, 0 bytes")


def test_an_archive_path_shown_with_its_control_characters_visible(run, attached, library_path, files_dir):
    """A file name in the archive is the archive's text: a terminal escape in it is shown, not acted on."""
    odd = attached["linked"].with_name("evil\x1b[2J.pdf")
    attached["linked"].rename(odd)
    with sqlite3.connect(library_path) as conn:
        conn.execute("UPDATE attachment SET path = ? WHERE paper_id = 2", (str(odd),))
    made = Path(run("backup", "--with-files")[1].splitlines()[0])
    odd.unlink()
    odd.parent.rmdir()
    code, out, _err = run("restore", "--yes", str(made))
    assert code == 0 and "\x1b" not in out and "evil<U+001B>[2J.pdf: its folder is gone" in out


def cli(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    return subprocess.run(
        [sys.executable, "-m", "papershelf", *args], stdout=stdout, stderr=subprocess.PIPE, env=env, check=False
    )


@pytest.mark.parametrize("with_files", [False, True])
def test_a_backup_to_standard_output_is_only_the_archive(attached, library_path, with_files):
    """`papershelf backup - > x.zip`: the path and counts went to stdout after the archive (regression)."""
    result = cli("--library", str(library_path), "backup", "-", *(["--with-files"] if with_files else []))
    assert result.returncode == 0, result.stderr
    assert result.stdout[-22:-18] == b"PK\x05\x06"  # the archive's last record ends the output
    with zipfile.ZipFile(io.BytesIO(result.stdout)) as zf:
        assert zf.testzip() is None
        assert (f"files/{backup_files.stored_path(sha(PAPER))}" in zf.namelist()) == with_files
    assert result.stderr.decode().splitlines()[0] == "-"


def test_a_lost_disk_comes_back_searchable(run, library_path, sample_text, tmp_path):
    """attach, back up with files, lose everything, restore, read the text again: the PDF's words are found."""
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
    hello = tmp_path / "hello.pdf"
    hello.write_bytes(HELLO)
    assert run("attach", "2", str(hello))[0] == 0
    made = Path(run("backup", "--with-files")[1].splitlines()[0])
    library_path.unlink()
    for p in sorted(paths.files_dir(library_path).rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    code, out, err = run("restore", str(made))
    assert code == 0, err
    assert "PDFs: 1 put back" in out and out.rstrip().endswith("or now with: papershelf index")
    assert run("index")[0] == 0
    code, out, _err = run("list", "Hello world")
    assert code == 0 and "in the PDF, page 1" in out


def test_restoring_a_plain_backup_over_a_lost_files_folder_points_to_the_backup_with_pdfs(run, library_path, tmp_path):
    """The PDFs are not in a plain backup: the restore says they are missing and which backup has them."""
    import shutil

    from papershelf import paths
    from papershelf.core.importers import Source
    from papershelf.core.library import Library

    pdf = Path(__file__).parents[1] / "fixtures" / "pdfs" / "sympy-paper.pdf"
    with Library(library_path) as library:
        library.import_file(
            Source(name="a.bib", data=b"@article{a, title={A}, author={A. B}, year={2020}}"), fmt="bibtex"
        )
    assert run("attach", "1", str(pdf))[0] == 0
    code, out, _ = run("backup", "--with-files")
    assert code == 0
    with_files = Path(out.splitlines()[0])
    code, out, _ = run("backup")
    plain = Path(out.splitlines()[0])
    shutil.rmtree(paths.files_dir(library_path))
    code, out, err = run("restore", str(plain), "--yes")
    assert code == 0
    assert "warning: 1 attached PDF is not in" in err
    assert f"papershelf restore {with_files}" in err


def test_delete_then_restore_brings_the_stored_pdf_back_from_the_trash(run, library_path, sample_text, tmp_path):
    """Found by an attack review: the PDF stayed in the files folder's .trash/ and the paper showed MISSING."""
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
    hello = tmp_path / "hello.pdf"
    hello.write_bytes(HELLO)
    assert run("attach", "2", str(hello))[0] == 0
    stored = paths.files_dir(library_path) / backup_files.stored_path(sha(HELLO))
    made = Path(run("backup")[1].splitlines()[0])
    assert run("delete", "2")[0] == 0
    assert not stored.exists()  # in the trash, for undo
    code, out, err = run("restore", "--yes", str(made))
    assert code == 0, err
    assert stored.read_bytes() == HELLO
    assert "PDFs: 1 brought back from the trash" in out
    assert "not in" not in err  # no missing-PDF warning
    code, out, _err = run("files")
    assert code == 0 and "MISSING" not in out


def test_a_hand_made_archive_entry_is_left_out_in_one_line(run, attached, library_path, tmp_path):
    """Found by an attack review: an entry no attachment references was written outside the files folder."""
    from tests.core.test_backup_files import add_member, rewritten

    code, out, _err = run("backup", "--with-files")
    made = Path(out.splitlines()[0])
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = rewritten(
        made,
        tmp_path / "evil.zip",
        lambda members, manifest: add_member(
            members, manifest, "linked/9/evil.pdf", "linked", str(outside / "evil.pdf"), b"#!/bin/sh\necho pwned\n"
        ),
    )
    code, out, err = run("restore", "--yes", str(evil))
    assert code == 0, err
    assert list(outside.iterdir()) == []
    assert "1 file in the archive that the library does not reference was left out" in out
    assert "evil" not in out.replace(str(evil), "")
