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
