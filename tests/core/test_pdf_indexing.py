"""Attached PDFs' text in the search ("in the PDF, page N") and their highlights in the paper's notes."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core import attachments as att
from papershelf.core import operations as ops
from papershelf.core.pdf import indexing, minimal
from papershelf.core.pdf.reader import MAX_PAGES, PdfContent
from papershelf.core.search import QueryError

from .pdf_helpers import PAPER, Mark, annotate, build_pdf, encrypted
from .pdf_helpers import page_objects as pdf_page_objects


def text_pdf(pages: list[str]) -> bytes:
    """A PDF with one page of Helvetica text per item (lines split at newlines)."""
    return minimal.text_pdf([text.split("\n") for text in pages])


THREE_PAGES = [
    "Reading notes on transformers\nThe introduction says little.",
    "Methods: we trained on a corpus of poems.",
    "Results: the zeppelin baseline wins\non every benchmark we tried.",
]


@pytest.fixture
def shelf(library, tmp_path):
    bib = tmp_path / "shelf.bib"
    bib.write_text(
        "@article{one, title = {Attention Is All You Need}, author = {Ashish Vaswani}, year = {2017}}\n"
        "@article{two, title = {Symbolic Computing}, author = {Aaron Meurer}, year = {2017}}\n"
        "@article{three, title = {Third Paper}, author = {Alan Turing}, year = {1950}}\n",
        encoding="utf-8",
    )
    library.import_file(bib)
    return library


def ids(library) -> list[int]:
    return library.search_ids("")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def notes_of(library, paper_id: int) -> list[str]:
    return [n.text for n in library.get(paper_id).notes]


# --- Search inside papers -------------------------------------------------------------------------------------------


def test_a_word_only_in_the_body_is_found_with_its_page(shelf, tmp_path):
    one, two, _ = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "notes.pdf", text_pdf(THREE_PAGES)))
    assert shelf.search_ids("zeppelin") == []  # not read yet
    [result] = indexing.index_pending(shelf)
    assert (result.state, result.pages, result.name) == ("done", 3, "notes.pdf")

    assert shelf.search_ids("zeppelin") == [one]
    assert shelf.search_ids("zepp") == [one]  # prefixes, as for the metadata (search as you type)
    assert shelf.count("zeppelin") == 1
    hit = indexing.pdf_hits(shelf, "zeppelin", [one, two])[one]
    assert hit.page == 3
    assert "zeppelin baseline" in hit.snippet
    # All the words in the PDF (its pages together), or all in the metadata; filters and negated words still apply.
    assert shelf.search_ids("benchmark zeppelin poems") == [one]
    assert shelf.search_ids('"zeppelin baseline"') == [one]
    assert shelf.search_ids("zeppelin -vaswani") == []
    assert shelf.search_ids("zeppelin -has:pdf") == []
    assert shelf.search_ids("zeppelin turing") == []
    assert indexing.index_pending(shelf) == []  # nothing left to read


def test_a_real_paper_is_found_by_words_on_its_later_pages(shelf, tmp_path):
    _, two, _ = ids(shelf)
    att.attach(shelf, two, PAPER)
    indexing.index_pending(shelf)
    document = pdfium.PdfDocument(str(PAPER))
    try:
        first = next(n for n in range(len(document)) if "mpmath" in document[n].get_textpage().get_text_range())
    finally:
        document.close()
    assert shelf.search_ids("mpmath") == [two]
    assert indexing.pdf_hits(shelf, "mpmath", [two])[two].page == first + 1
    # A word PDFium split at a line end ("writ-" "ten") is found whole.
    assert indexing.pdf_hits(shelf, '"algebra system (CAS) written"', [two])[two].page == 1
    # Sorted and limited listings find it too.
    assert shelf.search_ids("mpmath", sort="title", limit=5) == [two]


def long_pdf(pages: int, last: str) -> bytes:
    """``pages`` pages that say "filler", the last one ``last`` instead (one shared content stream each)."""
    font = b"/Resources << /Font << /F1 3 0 R >> >>"
    filler, final = (b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % word for word in (b"filler", last.encode()))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (6 + n) for n in range(pages)) + b"] /Count %d "
        b"/MediaBox [0 0 612 792] >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(filler), filler),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(final), final),
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R %s >>" % (4 if n < pages - 1 else 5, font) for n in range(pages)
    ]
    return build_pdf(objects)


def test_a_pdf_longer_than_the_page_limit_says_how_much_of_its_text_was_read(shelf, tmp_path):
    # Review: "text of 6000 pages read", yet the words after page 5000 were not searchable.
    one, *_ = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "long.pdf", long_pdf(MAX_PAGES + 1, "quokkalast")))
    [result] = indexing.index_pending(shelf)
    assert (result.state, result.pages) == ("done", MAX_PAGES + 1)
    assert result.text_read == f"text of the first {MAX_PAGES} of {MAX_PAGES + 1} pages read"
    assert shelf.search_ids("filler") == [one] and shelf.search_ids("quokkalast") == []
    # Kept with the file, for `files`, `show` and the app's details.
    [attached] = att.attachments_of(shelf, [one])[one]
    assert (attached.text_state, attached.pages, attached.text_error) == ("done", MAX_PAGES + 1, result.cut)
    # Read whole (the file changed), it says nothing more; undo brings the note back with the old text.
    whole = shelf.run(indexing.StoreText(attached.id, PdfContent(["all"], 1, "", [], None, None)))
    assert att.attachments_of(shelf, [one])[one][0].text_error is None
    shelf.run(whole.inverse)
    assert att.attachments_of(shelf, [one])[one][0].text_error == result.cut
    att.attach(shelf, one, write(tmp_path, "short.pdf", text_pdf(THREE_PAGES)))
    short = next(r for r in indexing.index_pending(shelf) if r.name == "short.pdf")
    assert (short.cut, short.text_read) == (None, "text of 3 pages read")


def test_text_cut_at_the_character_limit_says_so():
    content = PdfContent(["abc", "defg"], 7, "", [], None, None, chars_cut=True)
    assert indexing.cut_note(content) == "text of the first 7 characters read, up to page 2 of 7"
    assert indexing.cut_note(PdfContent(["abc", "d"], 2, "", [], None, None)) is None


def test_a_paper_made_from_a_dropped_pdf_keeps_every_character_of_its_title(shelf, tmp_path):
    # Review: a UTF-16 title's NUL was dropped and its NEL became a space. Spaces and line breaks still join.
    title = "Dropped \x85nel\x00nul\x1funit\x07bell\u202eevil \n  wrapped"
    utf16 = b"".join(b"\\%03o" % byte for byte in b"\xfe\xff" + title.encode("utf-16-be"))
    objects = pdf_page_objects(b"BT /F1 12 Tf 72 720 Td (Body) Tj ET") + [b"<< /Title (" + utf16 + b") >>"]
    dropped = att.drop(shelf, write(tmp_path, "dropped.pdf", build_pdf(objects, trailer_extra=b"/Info 6 0 R ")))
    assert dropped.created
    assert shelf.get(dropped.paper_id).title == "Dropped \x85nel<U+0000>nul\x1funit\x07bell\u202eevil wrapped"


def test_has_pdf_and_not_has_pdf(shelf, tmp_path):
    one, two, three = ids(shelf)
    att.attach(shelf, two, write(tmp_path, "a.pdf", text_pdf(["alpha"])))
    assert shelf.search_ids("has:pdf") == [two]  # attached is enough, read or not
    assert shelf.search_ids("-has:pdf") == [one, three]
    assert shelf.search_ids("HAS:PDF symbolic") == [two]
    assert shelf.count("-has:pdf") == 2


def test_detaching_takes_the_text_out_of_the_search_and_undo_brings_it_back(shelf, tmp_path):
    one, *_ = ids(shelf)
    attachment = att.attach(shelf, one, write(tmp_path, "notes.pdf", text_pdf(THREE_PAGES)))
    indexing.index_pending(shelf)
    outcome = shelf.run(ops.DetachPdf(attachment.id))
    assert shelf.search_ids("zeppelin") == []
    assert indexing.pdf_hits(shelf, "zeppelin", [one]) == {}
    shelf.run(outcome.inverse)
    indexing.index_pending(shelf)  # the file is back: its text is read again
    assert shelf.search_ids("zeppelin") == [one]


def test_deleting_the_paper_takes_its_text_out_of_the_search(shelf, tmp_path):
    one, two, _ = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "notes.pdf", text_pdf(THREE_PAGES)))
    indexing.index_pending(shelf)
    shelf.run(ops.DeletePapers((one,)))
    att.attach(shelf, two, write(tmp_path, "other.pdf", text_pdf(["nothing to see"])))  # may reuse the id
    indexing.index_pending(shelf)
    assert shelf.search_ids("zeppelin") == []


def test_a_hostile_pdf_is_marked_could_not_read_and_the_others_are_read(shelf, tmp_path):
    one, two, three = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "locked.pdf", encrypted()))
    att.attach(shelf, two, write(tmp_path, "truncated.pdf", PAPER.read_bytes()[:20_000]))
    att.attach(shelf, three, write(tmp_path, "good.pdf", text_pdf(THREE_PAGES)))
    results = {r.name: r for r in indexing.index_pending(shelf)}
    assert results["locked.pdf"].state == "failed"
    assert results["locked.pdf"].error == "could not read: the PDF is encrypted"
    assert results["truncated.pdf"].state == "failed"
    assert results["truncated.pdf"].error.startswith("could not read: ")
    assert "\n" not in results["truncated.pdf"].error
    assert results["good.pdf"].state == "done"
    assert shelf.search_ids("zeppelin") == [three]
    shown = att.attachments_of(shelf, [one])[one][0]
    assert (shown.text_state, shown.text_error) == ("failed", "could not read: the PDF is encrypted")
    assert indexing.index_pending(shelf) == []  # a failed file is not read again and again


def test_a_file_gone_missing_is_marked_failed_not_a_traceback(shelf, tmp_path):
    one, *_ = ids(shelf)
    source = write(tmp_path, "linked.pdf", text_pdf(["words"]))
    att.attach(shelf, one, source, link=True)
    source.unlink()
    [result] = indexing.index_pending(shelf)
    assert (result.state, result.error) == ("failed", "could not read: the file is missing")


def test_reading_is_one_step_that_undo_takes_back(shelf, tmp_path):
    from papershelf.core.pdf.sandbox import extract

    one, *_ = ids(shelf)
    pdf = annotate(
        write(tmp_path, "plain.pdf", text_pdf(THREE_PAGES)),
        tmp_path / "marked.pdf",
        [Mark(3, "highlight", "zeppelin baseline", "compare with ours")],
    )
    attachment = att.attach(shelf, one, pdf)
    outcome = shelf.run(indexing.StoreText(attachment.id, extract(pdf)))
    assert outcome.result.state == "done"
    assert shelf.search_ids("zeppelin") == [one]
    assert len(notes_of(shelf, one)) == 1 and len(indexing.annotations_of(shelf, one)) == 1

    redo = shelf.run(outcome.inverse).inverse
    # The text, the note and the annotations go; the file waits to be read again.
    assert shelf.search_ids("zeppelin") == []
    assert notes_of(shelf, one) == [] and indexing.annotations_of(shelf, one) == []
    assert att.attachments_of(shelf, [one])[one][0].text_state == "pending"

    shelf.run(redo)
    assert shelf.search_ids("zeppelin") == [one]
    assert len(notes_of(shelf, one)) == 1
    assert att.attachments_of(shelf, [one])[one][0].text_state == "done"


def test_a_failed_read_keeps_nothing_of_the_old_text_until_undone(shelf, tmp_path):
    one, *_ = ids(shelf)
    attachment = att.attach(shelf, one, write(tmp_path, "notes.pdf", text_pdf(THREE_PAGES)))
    indexing.index_pending(shelf)
    outcome = shelf.run(indexing.StoreText(attachment.id, None, "could not read: test"))
    assert shelf.search_ids("zeppelin") == []
    shelf.run(outcome.inverse)
    assert shelf.search_ids("zeppelin") == [one]


def test_a_file_replaced_while_it_was_read_is_read_again_not_stored_stale(shelf, tmp_path, monkeypatch):
    from papershelf.core.pdf import sandbox

    one, *_ = ids(shelf)
    source = write(tmp_path, "draft.pdf", text_pdf(["first draft about zeppelins"]))
    att.attach(shelf, one, source, link=True)
    real_extract = sandbox.extract

    def extract_while_the_user_saves(path, **kwargs):
        content = real_extract(path, **kwargs)
        source.write_bytes(text_pdf(["second draft about airships"]))
        att.verify(shelf)  # the app notices the new file meanwhile
        return content

    monkeypatch.setattr(sandbox, "extract", extract_while_the_user_saves)
    assert indexing.index_pending(shelf) == []  # the old text was not written over the new file's row
    monkeypatch.setattr(sandbox, "extract", real_extract)
    [result] = indexing.index_pending(shelf)
    assert result.state == "done"
    assert shelf.search_ids("airships") == [one]
    assert shelf.search_ids("zeppelins") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.lists(
        st.sampled_from(list('zb -"*:()^{}+.') + ["has:pdf", "AND", "OR", "NEAR", "zeppelin", "é", "\f"]),
        max_size=12,
    ).map("".join)
)
def test_any_typed_text_searches_the_pdfs_or_is_a_clear_error(indexed, query):
    library, paper_ids = indexed
    try:
        found = library.search_ids(query)
    except QueryError:
        return
    hits = indexing.pdf_hits(library, query, paper_ids)
    for hit in hits.values():
        assert 1 <= hit.page <= 3 and "\f" not in hit.snippet and "\x02" not in hit.snippet
    assert set(hits) <= set(paper_ids)
    assert isinstance(found, list)


@pytest.fixture
def indexed(shelf, tmp_path):
    one, *_ = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "notes.pdf", text_pdf(THREE_PAGES)))
    indexing.index_pending(shelf)
    return shelf, ids(shelf)


# --- Highlights into notes ------------------------------------------------------------------------------------------


def marked(tmp_path: Path, marks: list[Mark], name: str = "paper.pdf") -> Path:
    """THREE_PAGES with ``marks``, as a viewer saves it (the same name each time: the file the user annotates)."""
    plain = write(tmp_path, "plain.pdf", text_pdf(THREE_PAGES))
    out = tmp_path / "viewer" / name
    out.parent.mkdir(exist_ok=True)
    return annotate(plain, out, marks)


FIRST = [
    Mark(3, "highlight", "zeppelin baseline", "compare with ours"),
    Mark(2, "underline", "corpus of poems"),
]


def test_highlights_and_comments_become_one_note_with_pages(shelf, tmp_path):
    one, *_ = ids(shelf)
    att.attach(shelf, one, marked(tmp_path, FIRST))
    [result] = indexing.index_pending(shelf)
    assert result.annotations == 2
    assert notes_of(shelf, one) == [
        "Highlights from paper.pdf\n\n> corpus of poems (p. 2)\n\n> zeppelin baseline (p. 3)\ncompare with ours"
    ]
    assert result.note_id == shelf.get(one).notes[0].id
    assert shelf.search_ids("ours") == [one]  # the note is searched like any note
    listed = indexing.annotations_of(shelf, one)
    assert [(a.file, a.page, a.kind, a.quote, a.comment) for a in listed] == [
        ("paper.pdf", 2, "underline", "corpus of poems", ""),
        ("paper.pdf", 3, "highlight", "zeppelin baseline", "compare with ours"),
    ]


def test_a_pdf_without_annotations_adds_no_note(shelf, tmp_path):
    one, *_ = ids(shelf)
    att.attach(shelf, one, write(tmp_path, "plain.pdf", text_pdf(THREE_PAGES)))
    indexing.index_pending(shelf)
    assert notes_of(shelf, one) == []


def test_changed_annotations_update_the_note_without_duplicating_it(shelf, tmp_path):
    one, *_ = ids(shelf)
    pdf = marked(tmp_path, FIRST)
    att.attach(shelf, one, pdf, link=True)
    indexing.index_pending(shelf)
    # In the viewer: the underline goes, a sticky note is added on page 1.
    marked(tmp_path, [FIRST[0], Mark(1, "note", comment="read this first")])
    assert any("changed outside the app" in line for line in att.verify(shelf))
    [result] = indexing.index_pending(shelf)
    assert result.annotations == 2
    assert notes_of(shelf, one) == [
        "Highlights from paper.pdf\n\n(p. 1)\nread this first\n\n> zeppelin baseline (p. 3)\ncompare with ours"
    ]
    # Read again unchanged: still one note, the same.
    indexing.index_pending(shelf, [result.attachment_id])
    assert len(notes_of(shelf, one)) == 1


def test_a_note_the_user_edited_is_not_rewritten_new_excerpts_are_added_at_its_end(shelf, tmp_path):
    one, *_ = ids(shelf)
    att.attach(shelf, one, marked(tmp_path, FIRST), link=True)
    [result] = indexing.index_pending(shelf)
    edited = notes_of(shelf, one)[0].replace("compare with ours", "compare with ours: they win by 2 points")
    shelf.run(ops.UpdateNote(result.note_id, edited))

    marked(tmp_path, [*FIRST[:1], Mark(1, "highlight", "Reading notes")])  # the underline goes, one is added
    att.verify(shelf)
    indexing.index_pending(shelf)
    assert notes_of(shelf, one) == [edited + "\n\n> Reading notes (p. 1)"]  # nothing of the user's text lost

    att.verify(shelf)
    indexing.index_pending(shelf, [result.attachment_id])  # read again: nothing added twice
    assert notes_of(shelf, one) == [edited + "\n\n> Reading notes (p. 1)"]


def test_a_deleted_note_is_written_again_when_the_annotations_change(shelf, tmp_path):
    one, *_ = ids(shelf)
    att.attach(shelf, one, marked(tmp_path, FIRST), link=True)
    [result] = indexing.index_pending(shelf)
    shelf.run(ops.DeleteNote(result.note_id))
    marked(tmp_path, FIRST[:1])
    att.verify(shelf)
    indexing.index_pending(shelf)
    assert notes_of(shelf, one) == ["Highlights from paper.pdf\n\n> zeppelin baseline (p. 3)\ncompare with ours"]


def test_a_real_viewer_sticky_note_is_read(shelf, tmp_path):
    from .pdf_helpers import STICKY_NOTE

    one, *_ = ids(shelf)
    att.attach(shelf, one, STICKY_NOTE)
    [result] = indexing.index_pending(shelf)
    assert result.state == "done" and result.annotations >= 1
    [note] = notes_of(shelf, one)
    assert note.startswith("Highlights from annotation-popup-subject.pdf\n\n(p. 1)")


def test_annotation_text_is_bounded_and_kept_plain(shelf, tmp_path):
    one, *_ = ids(shelf)
    comment = "<b>bold</b>\x1b[31m " + "x" * 6000
    att.attach(shelf, one, marked(tmp_path, [Mark(1, "note", comment=comment)]))
    indexing.index_pending(shelf)
    [note] = notes_of(shelf, one)
    assert "<b>bold</b>" in note  # stored as written: the GUI shows notes as plain text
    assert "\x1b" not in note
    assert len(note) < 6000


def test_a_file_name_with_a_line_break_heads_its_note_on_one_line_with_the_break_marked(shelf, tmp_path):
    one, *_ = ids(shelf)
    source = marked(tmp_path, FIRST[:1], name="two\nlines.pdf")
    att.attach(shelf, one, source)
    progress = []
    indexing.index_pending(shelf, progress=lambda done, total, name: progress.append((done, total, name)))
    assert progress == [(1, 1, "two\nlines.pdf")]
    [note] = notes_of(shelf, one)
    assert note.splitlines()[0] == "Highlights from two<U+000A>lines.pdf"


def test_control_and_bidi_characters_show_as_marks_in_the_note_and_stay_raw_in_the_annotation(shelf, tmp_path):
    # A right-to-left override would show 'evil' reversed in the note editor; CSI starts a terminal sequence.
    # (Not ESC: in a PDF string it starts a language tag, which PDFium takes out.)
    one, *_ = ids(shelf)
    comment = "see \u202eevil\u202c here\nand\tthen\x9b31m red\x07\u2028end"
    source = marked(tmp_path, [Mark(3, "highlight", "zeppelin baseline", comment)], name="a\u202efdp.pdf")
    att.attach(shelf, one, source)
    indexing.index_pending(shelf)
    [note] = notes_of(shelf, one)
    assert note == (
        "Highlights from a<U+202E>fdp.pdf\n\n"
        "> zeppelin baseline (p. 3)\n"
        "see <U+202E>evil<U+202C> here\nand\tthen<U+009B>31m red<U+0007><U+2028>end"
    )
    [annotation] = indexing.annotations_of(shelf, one)
    assert annotation.comment == comment  # what the viewer wrote, every character


def test_an_excerpt_marks_hidden_characters_in_the_quote_and_joins_its_lines():
    assert indexing.excerpt(2, "right\u202eto\nleft\x00", "") == "> right<U+202E>to left<U+0000> (p. 2)"
    # A comment keeps its line breaks.
    assert indexing.excerpt(1, "", " one\x1b[31m\r\ntwo\n") == "(p. 1)\none<U+001B>[31m\r\ntwo"
    # Cut to the bound without splitting a mark.
    cut = indexing.excerpt(1, "", "x" * (indexing.MAX_EXCERPT_CHARS - 4) + "\x1b" * 3)
    assert cut.endswith("x…") and len(cut.splitlines()[1]) <= indexing.MAX_EXCERPT_CHARS
