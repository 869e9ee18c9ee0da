"""`papershelf annotations ID`, `papershelf index`, and `papershelf list` saying where a word is in a PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papershelf.core import attachments as att
from papershelf.core.library import Library

from ..core.pdf_helpers import Mark, annotate, encrypted
from ..core.test_pdf_indexing import THREE_PAGES, text_pdf


@pytest.fixture
def papers(run, tmp_path) -> list[int]:
    bib = tmp_path / "shelf.bib"
    bib.write_text(
        "@article{vaswani, title = {Attention Is All You Need}, author = {Ashish Vaswani}, year = {2017}}\n"
        "@article{turing, title = {Computing Machinery}, author = {Alan Turing}, year = {1950}}\n",
        encoding="utf-8",
    )
    assert run("import", str(bib))[0] == 0
    return [1, 2]


def attach(library_path: Path, paper_id: int, source: Path) -> None:
    """What `papershelf attach` does, without reading the text (so the commands below must)."""
    with Library(library_path) as library:
        att.attach(library, paper_id, source)


def marked_pdf(tmp_path: Path) -> Path:
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(text_pdf(THREE_PAGES))
    return annotate(
        plain,
        tmp_path / "read.pdf",
        [
            Mark(3, "highlight", "zeppelin baseline", "compare with ours\nand with theirs"),
            Mark(1, "note", comment="start here"),
        ],
    )


def test_annotations_reads_the_pdf_and_prints_pages_quotes_and_comments(run, papers, library_path, tmp_path):
    attach(library_path, 1, marked_pdf(tmp_path))
    code, out, err = run("annotations", "vaswani")
    assert code == 0, err
    assert out.splitlines() == [
        "read.pdf",
        "  p. 1 note: start here",
        '  p. 3 highlight: "zeppelin baseline"',
        "      compare with ours",
        "      and with theirs",
    ]
    code, out, _ = run("show", "1", "--json")
    assert any(n["text"].startswith("Highlights from read.pdf") for n in json.loads(out)["notes"])
    code, out, _ = run("annotations", "1", "--json")
    assert [(a["page"], a["kind"], a["quote"]) for a in json.loads(out)] == [
        (1, "note", ""),
        (3, "highlight", "zeppelin baseline"),
    ]


def test_annotations_of_a_paper_without_a_pdf_or_with_an_unreadable_one(run, papers, library_path, tmp_path):
    code, out, _ = run("annotations", "2")
    assert (code, out) == (0, "paper 2 has no PDF attached; attach one with `papershelf attach 2 FILE`\n")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted())
    attach(library_path, 2, locked)
    code, out, _ = run("annotations", "2")
    assert (code, out) == (0, "locked.pdf: could not read: the PDF is encrypted\n")
    code, _, err = run("annotations", "99")
    assert code == 1 and err.startswith("papershelf: error: no paper with id") and err.count("\n") == 1


def test_index_reads_what_is_pending_and_names_what_failed(run, papers, library_path, tmp_path):
    plain = tmp_path / "notes.pdf"
    plain.write_bytes(text_pdf(THREE_PAGES))
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted())
    attach(library_path, 1, plain)
    attach(library_path, 2, locked)
    code, out, _ = run("index")
    assert code == 1
    assert out.splitlines() == [
        "paper 1: notes.pdf: 3 pages read",
        "paper 2: locked.pdf: could not read: the PDF is encrypted",
    ]
    assert run("index") == (0, "no PDF is waiting to be read\n", "")
    code, out, _ = run("index", "--again")
    assert "paper 1: notes.pdf: 3 pages read" in out.splitlines()


def test_list_says_where_in_the_pdf_the_words_are(run, papers, library_path, tmp_path):
    plain = tmp_path / "notes.pdf"
    plain.write_bytes(text_pdf(THREE_PAGES))
    attach(library_path, 2, plain)
    assert run("list", "zeppelin")[1] == "no papers match\n"  # not read yet: `list` never waits for a PDF
    run("index")
    code, out, _ = run("list", "zeppelin")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("2 [ ]") and "Computing Machinery" in lines[0]
    assert lines[-1] == "2: in the PDF, page 3: Results: the zeppelin baseline wins on every benchmark we tried."
    code, out, _ = run("list", "attention")  # a metadata match only: no PDF line
    assert len(out.splitlines()) == 1
    code, out, _ = run("list", "has:pdf")
    assert out.splitlines()[0].startswith("2 [ ]") and len(out.splitlines()) == 1


def test_annotations_and_index_read_again_a_pdf_annotated_again_in_a_viewer(run, papers, library_path, tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(text_pdf(THREE_PAGES))
    first = [Mark(3, "highlight", "zeppelin baseline", "compare with ours")]
    mine, other = tmp_path / "mine.pdf", tmp_path / "other.pdf"  # linked: the files the user annotates
    annotate(plain, mine, first)
    annotate(plain, other, first)
    with Library(library_path) as library:
        att.attach(library, 1, mine, link=True)
        att.attach(library, 2, other, link=True)
    assert run("index")[0] == 0
    # Both annotated again in a viewer: a sticky note on page 1.
    annotate(plain, mine, [*first, Mark(1, "note", comment="read this first")])
    annotate(plain, other, [*first, Mark(1, "note", comment="second thoughts")])

    code, out, err = run("annotations", "1")
    assert code == 0
    assert out.splitlines() == [
        "mine.pdf",
        "  p. 1 note: read this first",
        '  p. 3 highlight: "zeppelin baseline"',
        "      compare with ours",
    ]
    assert err.startswith("paper 1: mine.pdf: changed outside the app") and err.count("\n") == 1
    notes = json.loads(run("show", "1", "--json")[1])["notes"]
    assert [n["text"].count("read this first") for n in notes] == [1]

    # Only paper 1's files were checked: `index` finds paper 2's change itself and reads it.
    code, out, _ = run("index")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("paper 2: other.pdf: changed outside the app")
    assert lines[1] == "paper 2: other.pdf: 3 pages read, 2 highlights and comments in the paper's notes"
    assert run("index") == (0, "no PDF is waiting to be read\n", "")
    assert run("annotations", "1")[2] == ""  # unchanged: nothing said, nothing read


def test_index_counts_one_highlight_in_the_singular(run, papers, library_path, tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(text_pdf(THREE_PAGES))
    attach(library_path, 1, annotate(plain, tmp_path / "one.pdf", [Mark(1, "note", comment="just this")]))
    assert run("index")[1] == "paper 1: one.pdf: 3 pages read, 1 highlight or comment in the paper's notes\n"
