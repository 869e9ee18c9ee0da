"""`papershelf attach`, `open`, `files` and the PDF lines of `show`, run as a user runs them."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from papershelf import paths
from tests.core import pdf_helpers

HELLO = pdf_helpers.HELLO  # pdf.js: one page, "Hello world" (tests/fixtures/pdfs/SOURCES.md)
LOOP = pdf_helpers.PAGES_LOOP
HELLO_SHA = "17cc92aa58ec48f75b01c6b6e7f8c8bade0a36f7295d0f833a16bafae854dc79"

BIB = """\
@article{vaswani2017,
  title = {Attention Is All You Need},
  author = {Ashish Vaswani},
  year = {2017},
  eprint = {1706.03762},
  archiveprefix = {arXiv}
}
@article{turing1950,
  title = {Computing Machinery and Intelligence},
  author = {Alan Turing},
  year = {1950},
  doi = {10.1093/mind/LIX.236.433}
}
"""


@pytest.fixture
def papers(run, tmp_path):
    bib = tmp_path / "papers.bib"
    bib.write_text(BIB, encoding="utf-8")
    code, _, err = run("import", str(bib))
    assert code == 0, err


@pytest.fixture
def files_dir(library_path) -> Path:
    return paths.files_dir(library_path)


def copy(tmp_path: Path, source: Path = HELLO, name: str = "paper.pdf") -> Path:
    target = tmp_path / "downloads" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


# --- attach --------------------------------------------------------------------------------------


def test_attach_stores_a_copy_by_hash_and_reads_its_text(run, papers, tmp_path, files_dir):
    source = copy(tmp_path)
    code, out, err = run("attach", "vaswani2017", str(source))
    assert code == 0, err
    stored = files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    assert out.splitlines() == [
        f'attached paper.pdf to paper 1 (vaswani2017, "Attention Is All You Need"): stored as {stored}',
        "  paper.pdf: text of 1 page read",
    ]
    assert stored.read_bytes() == HELLO.read_bytes() and source.exists()
    # The text is searchable at once, and show lists the file.
    code, out, _ = run("list", "hello")
    assert code == 0 and "Attention Is All You Need" in out
    code, out, _ = run("show", "1")
    assert f"PDFs:\n  paper.pdf (743 bytes, stored, 1 page): {stored}\n" in out


def test_attach_link_keeps_the_file_where_it_is(run, papers, tmp_path, files_dir):
    source = copy(tmp_path)
    code, out, err = run("attach", "2", str(source), "--link")
    assert code == 0, err
    assert out.splitlines()[0].endswith(f"linked at {source}")
    assert not files_dir.exists() or not any(p.is_file() for p in files_dir.rglob("*"))
    code, out, _ = run("show", "turing1950")
    assert f"  paper.pdf (743 bytes, linked, 1 page): {source}" in out


def test_attaching_the_same_file_again_changes_nothing(run, papers, tmp_path):
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    code, out, _ = run("attach", "1", str(copy(tmp_path, name="again.pdf")))
    assert code == 0 and out.strip().endswith("already has this file, as paper.pdf; nothing changed")
    assert run("files")[1].count("paper.pdf") == 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.pdf", "no such file"),
        (lambda d: d, "is a folder, not a PDF"),
        (lambda d: Path(os.devnull), "is not a regular file"),
        (lambda d: (d / "notes.pdf").write_text("just text") and d / "notes.pdf", "not a PDF"),
    ],
)
def test_what_is_not_a_pdf_is_one_line_naming_it_and_nothing_is_attached(run, papers, tmp_path, make, message):
    good = copy(tmp_path)
    bad = make(tmp_path)
    code, out, err = run("attach", "1", str(good), str(bad))
    assert code == 1 and out == ""
    assert err.startswith(f"papershelf: error: {bad}: ")
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert run("files")[1].startswith("no PDFs attached")  # not even the good one


def test_attach_needs_a_paper_and_a_file(run, papers, tmp_path):
    code, _, err = run("attach", "1")
    assert code == 2 and "attach ID FILE" in err
    code, _, err = run("attach", "--auto", str(copy(tmp_path)), "--link")
    assert code == 2
    code, _, err = run("attach", "nosuchpaper", str(copy(tmp_path)))
    assert code == 1 and "no paper with id, citation key or arXiv id 'nosuchpaper'" in err


def test_a_pdf_that_cannot_be_read_stays_attached_and_show_says_why(run, papers, tmp_path, files_dir):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdf_helpers.encrypted())
    code, out, err = run("attach", "1", str(locked))
    assert code == 0 and "attached locked.pdf" in out
    assert err == "papershelf: warning: locked.pdf: could not read: the PDF is encrypted; it stays attached\n"
    sha = hashlib.sha256(locked.read_bytes()).hexdigest()
    code, out, _ = run("show", "1")
    stored = files_dir / sha[:2] / f"{sha}.pdf"
    assert f"  locked.pdf (898 bytes, stored): {stored}  (could not read: the PDF is encrypted)\n" in out


def test_attach_auto_finds_the_paper_by_the_arxiv_stamp_or_makes_one(run, papers, tmp_path):
    stamped = pdf_helpers.stamp_arxiv(HELLO, tmp_path / "1706.03762v5.pdf", "arXiv:1706.03762v5 [cs.CL] 12 Jun 2017")
    unknown = copy(tmp_path, LOOP, "some_preprint.pdf")
    code, out, err = run("attach", "--auto", str(stamped), str(unknown))
    assert code == 0, err
    lines = out.splitlines()
    assert (
        f'{stamped}: attached to paper 1 (vaswani2017, "Attention Is All You Need"), found by its arXiv id 1706.03762'
        in lines
    )
    made = next(line for line in lines if line.startswith(f"{unknown}: added paper 3"))
    assert made.endswith("made from the PDF")
    code, out, _ = run("show", "3")
    assert "some_preprint.pdf" in out
    # The same file dropped again goes to the paper that has it.
    code, out, _ = run("attach", "--auto", str(unknown))
    assert code == 0 and out.endswith("(found by its content hash) already has this file; nothing changed\n")


@pytest.mark.parametrize(
    "order",
    [
        ["1", "--link", "A", "B"],  # review: "unrecognized arguments: A"
        ["--link", "1", "A", "B"],
        ["1", "A", "--link", "B"],
        ["1", "A", "B", "--link"],
        ["1", "--link", "--", "A", "-B"],
        ["--link", "--", "1", "A", "-B"],
    ],
)
def test_attach_takes_its_options_anywhere(run, papers, tmp_path, monkeypatch, order):
    a, b = copy(tmp_path), copy(tmp_path, LOOP, "-loop.pdf")
    monkeypatch.chdir(a.parent)  # "-loop.pdf" as the user types it, after "--"
    names = {"A": "paper.pdf", "B": str(b), "-B": "-loop.pdf"}
    argv = [names.get(word, word) for word in order]
    code, out, err = run("attach", *argv)
    assert code == 0, err
    assert "attached paper.pdf to paper 1" in out and "attached -loop.pdf to paper 1" in out
    assert out.count("linked at") == 2 and str(b) in out


def test_attach_auto_takes_a_file_name_that_is_not_utf8(run, papers, tmp_path):
    """Review: 'auto-download rule argument "uniq\\xff\\xfe.pdf": not UTF-8 text' (download's --auto was checked)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"uniq\xff\xfe.pdf")
    shutil.copyfile(LOOP, raw)
    code, out, err = run("attach", "--auto", os.fsdecode(raw))
    assert code == 0, err
    assert "added paper 3" in out and "made from the PDF" in out
    assert "uniq\ufffd\ufffd.pdf" in run("show", "3")[1]


# --- open ------------------------------------------------------------------------------------------


@pytest.fixture
def opener(tmp_path, monkeypatch) -> Path:
    """$PAPERSHELF_OPENER as a script that writes down what it was handed (nothing is opened)."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "opener.py"
    script.write_text(
        "import sys\n"
        f"open({str(record)!r}, 'a', encoding='utf-8', errors='surrogateescape').write(sys.argv[1] + '\\n')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PAPERSHELF_OPENER", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    return record


def test_open_hands_the_stored_pdf_to_the_system(run, papers, tmp_path, files_dir, opener):
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    code, out, err = run("open", "vaswani2017")
    assert (code, out, err) == (0, "", "")
    assert opener.read_text(encoding="utf-8") == f"{files_dir / HELLO_SHA[:2] / HELLO_SHA}.pdf\n"


def test_open_a_linked_pdf_hands_its_own_path(run, papers, tmp_path, opener):
    source = copy(tmp_path, name="Vaswani et al. (2017).pdf")
    assert run("attach", "1", str(source), "--link")[0] == 0
    assert run("open", "1")[0] == 0
    assert opener.read_text(encoding="utf-8") == f"{source}\n"


def test_open_without_a_pdf_or_a_working_viewer_is_one_line(run, papers, tmp_path, monkeypatch, opener):
    code, _, err = run("open", "1")
    assert code == 1 and err == "papershelf: error: paper 1 has no PDF; attach one with: papershelf attach 1 FILE\n"
    source = copy(tmp_path)
    assert run("attach", "1", str(source), "--link")[0] == 0
    monkeypatch.setenv("PAPERSHELF_OPENER", f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)'")
    code, _, err = run("open", "1")
    assert code == 1 and err.endswith("could not be opened: " + sys.executable + " exited with status 3\n")
    monkeypatch.setenv("PAPERSHELF_OPENER", str(tmp_path / "no-such-viewer"))
    code, _, err = run("open", "1")
    assert code == 1 and "could not be opened" in err and err.count("\n") == 1
    source.unlink()
    code, _, err = run("open", "1")
    assert code == 1 and f"paper.pdf is missing (the library expects it at {source})" in err
    assert not opener.exists()  # nothing was ever handed over


def test_open_prefers_a_pdf_whose_text_could_be_read_and_names_each_missing_one(run, papers, tmp_path, opener):
    """Review: `open 2` opened trunc.pdf ("could not read: damaged") though the paper had a readable PDF."""
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdf_helpers.encrypted())
    good = copy(tmp_path)
    assert run("attach", "1", str(locked), "--link")[0] == 0  # its text could not be read
    assert run("attach", "1", str(good), "--link")[0] == 0
    assert run("open", "1")[0] == 0
    good.unlink()
    assert run("open", "1")[0] == 0  # the one there is opened all the same
    assert opener.read_text(encoding="utf-8").splitlines() == [str(good), str(locked)]
    locked.unlink()
    code, _, err = run("open", "1")
    assert code == 1 and err == (
        f"papershelf: error: paper 1: locked.pdf is missing (the library expects it at {locked}); "
        f"paper.pdf is missing (the library expects it at {good}); `papershelf files --verify` looks for them\n"
    )


# --- files ------------------------------------------------------------------------------------------


def test_files_lists_every_pdf(run, papers, tmp_path, files_dir):
    assert run("files")[1] == "no PDFs attached; attach one with: papershelf attach ID FILE\n"
    linked = copy(tmp_path, LOOP, "loop.pdf")
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    assert run("attach", "2", str(linked), "--link")[0] == 0
    code, out, _ = run("files")
    assert code == 0
    assert out.splitlines() == [
        f"1  vaswani2017  paper.pdf (743 bytes, stored, 1 page)  {files_dir / HELLO_SHA[:2] / HELLO_SHA}.pdf",
        f"2  turing1950  loop.pdf (1.1 KB, linked, 2 pages)  {linked}",
        "2 PDFs, 1.8 KB",
    ]


def test_files_verify_relinks_a_moved_file_and_marks_a_lost_one(run, papers, tmp_path):
    source = copy(tmp_path)
    assert run("attach", "1", str(source), "--link")[0] == 0
    moved = tmp_path / "read" / "paper.pdf"
    moved.parent.mkdir()
    source.rename(moved)
    code, out, _ = run("files")
    assert "MISSING" in out and "1 missing (papershelf files --verify looks for them)" in out
    code, out, _ = run("files", "--verify")
    assert code == 0
    assert out.splitlines()[0] == f"paper 1: paper.pdf: was missing at {source}; found at {moved}"
    assert run("files", "--verify")[1].startswith("every attached file is where the library says, unchanged")
    # Gone for good: said, marked, kept.
    moved.unlink()
    code, out, _ = run("files", "--verify")
    assert code == 1 and f"paper 1: paper.pdf: missing (the library expects it at {moved})" in out
    assert "MISSING" in run("show", "1")[1]


def test_files_verify_notices_a_file_changed_outside_the_app_and_reads_it_again(run, papers, tmp_path):
    source = copy(tmp_path)
    assert run("attach", "1", str(source), "--link")[0] == 0
    source.write_bytes(LOOP.read_bytes())  # a viewer saved over it
    code, out, err = run("files", "--verify")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"paper 1: paper.pdf: changed outside the app ({source}); its text will be read again"
    assert "  paper.pdf: text of 2 pages read" in lines
    assert "paper.pdf (1.1 KB, linked, 2 pages)" in out


def test_a_link_in_place_of_a_stored_pdf_is_never_taken_opened_or_backed_up(run, papers, tmp_path, files_dir, opener):
    """Review: `files --verify` recorded /etc/passwd's hash for a link put in a stored file's place, and
    `backup --with-files` then archived /etc/passwd."""
    import zipfile

    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    stored = files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/sh\n", encoding="utf-8")
    stored.unlink()
    stored.symlink_to(secret)
    code, out, _ = run("files", "--verify")
    assert code == 1
    assert out.splitlines()[0] == (
        f"paper 1: paper.pdf: {stored} was replaced by a link; left as it is, "
        "and the PDF counts as missing until it is found again by its content"
    )
    assert "paper.pdf (743 bytes, stored, 1 page)" in out and "(MISSING)" in out  # its old hash and size kept
    code, _, err = run("open", "1")
    assert code == 1 and "paper.pdf is missing" in err and not opener.exists()
    archive = tmp_path / "b2.zip"
    code, _, err = run("backup", "--with-files", str(archive))
    assert code == 1 and f"{stored}: not a regular file; left out of the backup" in err
    with zipfile.ZipFile(archive) as packed:
        assert all(b"root:x:0:0" not in packed.read(name) for name in packed.namelist())
    assert stored.is_symlink() and secret.read_text(encoding="utf-8").startswith("root:")


def test_deleting_a_paper_moves_its_stored_pdf_to_the_trash(run, papers, tmp_path, files_dir):
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    assert run("delete", "1")[0] == 0
    relative = Path(HELLO_SHA[:2]) / f"{HELLO_SHA}.pdf"
    assert not (files_dir / relative).exists()
    assert (files_dir / ".trash" / relative).read_bytes() == HELLO.read_bytes()


def test_the_library_itself_is_refused(run, papers, library_path):
    code, _, err = run("attach", "1", str(library_path))
    assert (
        code == 1
        and err == f"papershelf: error: {library_path}: is the library itself, not a PDF; nothing was attached\n"
    )


# --- Review fixes ----------------------------------------------------------------------------------


def test_attach_link_finds_a_missing_linked_pdf_again(run, papers, tmp_path):
    """Review: a file with the missing PDF's content was refused as 'already has this file'."""
    source = copy(tmp_path)
    assert run("attach", "1", str(source), "--link")[0] == 0
    source.unlink()
    elsewhere = copy(tmp_path, name="elsewhere.pdf")
    code, out, err = run("attach", "--link", "1", str(elsewhere))
    assert code == 0, err
    assert out.splitlines()[0] == (
        f'paper 1 (vaswani2017, "Attention Is All You Need"): found again: paper.pdf now at {elsewhere}'
    )
    code, out, _ = run("files")
    assert "MISSING" not in out and str(elsewhere) in out and out.endswith("1 PDF, 743 bytes\n")


def test_attach_puts_a_missing_stored_pdf_back_and_auto_finds_one_too(run, papers, tmp_path, files_dir):
    stored = files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    stored.unlink()
    code, out, _ = run("attach", "1", str(copy(tmp_path, name="copy.pdf")))
    assert code == 0 and out.splitlines()[0].endswith(f"found again: paper.pdf now at {stored}")
    assert stored.read_bytes() == HELLO.read_bytes()
    stored.unlink()
    code, out, _ = run("attach", "--auto", str(copy(tmp_path, name="dropped.pdf")))
    assert code == 0 and "(found by its content hash): found again: paper.pdf now at" in out
    assert stored.read_bytes() == HELLO.read_bytes() and "MISSING" not in run("files")[1]


def test_attach_link_to_a_file_in_the_files_folder_stores_it(run, papers, tmp_path, files_dir):
    """Review: a link into 'lib files/' went missing when the stored copy moved to the trash."""
    stored = files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    code, out, err = run("attach", "2", str(stored), "--link")
    assert code == 0, err
    assert out.splitlines()[0].endswith(
        f"stored as {stored} (it is in the library's files folder, so it is not linked)"
    )
    assert run("delete", "1")[0] == 0
    code, out, _ = run("show", "2")
    assert f"(743 bytes, stored, 1 page): {stored}\n" in out and "MISSING" not in out


def test_attach_of_a_file_the_paper_has_copies_nothing(run, papers, tmp_path, files_dir):
    """Review: 'nothing changed' still copied the file in and moved it to .trash/."""
    assert run("attach", "1", str(copy(tmp_path)), "--link")[0] == 0
    code, out, _ = run("attach", "1", str(copy(tmp_path, name="again.pdf")))
    assert code == 0 and out.endswith("nothing changed\n")
    assert not files_dir.exists() or not any(p.is_file() for p in files_dir.rglob("*"))


def test_detach_removes_a_pdf_trashing_a_stored_copy_and_never_touching_a_linked_file(run, papers, tmp_path, files_dir):
    stored = files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    linked = copy(tmp_path, LOOP, "loop.pdf")
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    assert run("attach", "1", str(linked), "--link")[0] == 0
    code, _, err = run("detach", "1")
    assert code == 1 and err == (
        'papershelf: error: paper 1 (vaswani2017, "Attention Is All You Need") has 2 PDFs (paper.pdf; loop.pdf); '
        "name the ones to remove: papershelf detach 1 NAME…; nothing was removed\n"
    )
    code, _, err = run("detach", "1", "nosuch.pdf")
    assert code == 1 and "has no PDF named 'nosuch.pdf' (it has: paper.pdf; loop.pdf); nothing was removed" in err
    code, out, err = run("detach", "1", "loop.pdf")
    assert code == 0, err
    assert out.endswith(
        f'removed loop.pdf from paper 1 (vaswani2017, "Attention Is All You Need"); the linked file stays at {linked}\n'
    )
    assert linked.read_bytes() == LOOP.read_bytes()
    code, out, err = run("detach", "vaswani2017")  # the only one left
    assert code == 0, err
    trashed = files_dir / ".trash" / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"
    assert out.endswith(f"its stored copy moved to {trashed}\n")
    assert not stored.exists() and trashed.read_bytes() == HELLO.read_bytes()
    assert run("files")[1].startswith("no PDFs attached")
    code, _, err = run("detach", "1")
    assert code == 1 and err.endswith("has no PDF; nothing was removed\n")


def test_delete_help_says_where_pdfs_go_and_that_there_is_no_undo(run, capsys):
    with pytest.raises(SystemExit):
        run("delete", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "daily backups keep them" not in text
    assert "stored PDFs move to the .trash/ folder" in text and "linked PDFs are never touched" in text
    assert "The command line has no undo" in text


def test_list_help_mentions_has_pdf(run, capsys):
    with pytest.raises(SystemExit):
        run("list", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "has:pdf" in text and "-has:pdf" in text


def test_show_json_lists_the_pdfs(run, papers, tmp_path, files_dir):
    import json

    linked = copy(tmp_path, LOOP, "loop.pdf")
    assert run("attach", "1", str(copy(tmp_path)))[0] == 0
    assert run("attach", "1", str(linked), "--link")[0] == 0
    linked.unlink()
    code, out, _ = run("show", "1", "--json")
    assert code == 0
    assert json.loads(out)["pdfs"] == [
        {
            "name": "paper.pdf",
            "path": str(files_dir / HELLO_SHA[:2] / f"{HELLO_SHA}.pdf"),
            "kind": "stored",
            "size": 743,
            "pages": 1,
            "missing": False,
            "text_state": "done",
            "text_error": None,
        },
        {
            "name": "loop.pdf",
            "path": str(linked),
            "kind": "linked",
            "size": LOOP.stat().st_size,
            "pages": 2,
            "missing": True,
            "text_state": "done",
            "text_error": None,
        },
    ]
    assert json.loads(run("show", "2", "--json")[1])["pdfs"] == []
    # list --json gives each paper as show --json does, PDFs included.
    listed = {paper["id"]: paper for paper in json.loads(run("list", "--json")[1])}
    assert listed[1] == json.loads(out) and listed[2]["pdfs"] == []


def test_one_highlight_is_said_in_the_singular(run, papers, tmp_path):
    sticky = copy(tmp_path, pdf_helpers.STICKY_NOTE, "sticky.pdf")
    code, out, _ = run("attach", "1", str(sticky))
    assert code == 0 and out.splitlines()[1] == "  sticky.pdf: text of 1 page read, 1 highlight or comment"
    code, out, _ = run("index", "--again")
    assert out.splitlines() == ["paper 1: sticky.pdf: 1 page read, 1 highlight or comment in the paper's notes"]
