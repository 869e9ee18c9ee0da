"""Reading PDFs through the sandbox: page text, ids, highlights and notes, and hostile files that cost only themselves.

Every read here goes through ``sandbox.extract`` / ``identify`` (a worker
process), as the app's do. Hostile files must give exactly one
``PdfError`` line naming the file, quickly, and never a traceback.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core.pdf import sandbox
from papershelf.core.pdf.sandbox import PdfError
from tests.conftest import ROOT
from tests.core import pdf_helpers as pdfs
from tests.core.pdf_helpers import Mark


def failure(path: Path, **limits) -> str:
    """The one-line message reading ``path`` fails with; the read must end within its timeout and a margin."""
    timeout = limits.setdefault("timeout", 20.0)
    start = time.monotonic()
    with pytest.raises(PdfError) as caught:
        sandbox.extract(path, **limits)
    assert time.monotonic() - start < timeout + 10, "the sandbox did not stop the reader in time"
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith(f"{path}: could not read: "), message
    return message


# --- What a user gets from a real paper ---------------------------------------------------------------------------


def test_every_page_of_a_real_paper_has_its_text():
    content = sandbox.extract(pdfs.PAPER)
    assert content.page_count == len(content.pages) == 29
    assert content.pages[0].startswith("SymPy: Symbolic Computing in\nPython")
    assert "1 Introduction" in content.pages[0]
    assert "with over 500 contributors" in content.pages[1]  # the sentence that runs over from page 1
    assert "nsimplify(pi, tolerance=0.01)" in content.pages[28]
    # Words PDFium saw hyphenated at a line end are whole again, as a search would type them.
    assert "(CAS) written in the Python" in content.pages[0]
    assert not any(mark in page for page in content.pages for mark in ("\r", "\ufffe", "\x00"))
    assert not content.truncated


def test_a_real_paper_is_identified_by_its_metadata_and_first_page():
    content = sandbox.identify(pdfs.PAPER)
    assert content.title == "SymPy: Symbolic Computing in Python"
    assert content.authors[:2] == ["Aaron Meurer", "Christopher P. Smith"]
    assert "Ondřej Čertík" in content.authors  # the metadata's UTF-16 names, not the page's split accents
    assert content.doi == "10.7717/peerj-cs.103"  # printed on the first page only
    assert len(content.pages) == 1 and content.arxiv_id is None


def test_an_arxiv_stamp_down_the_margin_gives_the_arxiv_id(tmp_path):
    stamped = pdfs.stamp_arxiv(pdfs.PAPER, tmp_path / "stamped.pdf", "arXiv:1607.07892v2 [cs.SC] 26 Jul 2016")
    assert sandbox.identify(stamped).arxiv_id == "1607.07892"


def test_ids_in_the_metadata_are_found_when_the_first_page_has_none(tmp_path):
    objects = pdfs.page_objects(b"BT /F1 12 Tf 72 720 Td (A page without ids) Tj ET")
    # As arXiv's own PDFs and publishers' write them: the DOI in Subject, the authors with "and".
    objects.append(
        b"<< /Title (Attention Is All You Need) /Author (Ashish Vaswani and Noam Shazeer) "
        b"/Subject (https://doi.org/10.48550/arXiv.1706.03762) >>"
    )
    path = tmp_path / "meta.pdf"
    path.write_bytes(pdfs.build_pdf(objects, trailer_extra=b"/Info 6 0 R "))
    content = sandbox.identify(path)
    assert (content.title, content.authors) == ("Attention Is All You Need", ["Ashish Vaswani", "Noam Shazeer"])
    assert (content.doi, content.arxiv_id) == ("10.48550/arXiv.1706.03762", "1706.03762")


def test_small_real_pdfs_from_pdfjs_are_read():
    assert sandbox.extract(pdfs.HELLO).pages == ["Hello world"]
    looped = sandbox.extract(pdfs.PAGES_LOOP)  # a page tree whose kids point back at each other
    assert looped.pages[0] == "Testcase: ’Pages loop’"


def test_limits_on_pages_and_characters_mark_the_content_truncated():
    few = sandbox.extract(pdfs.PAPER, max_pages=3)
    assert few.page_count == 29 and len(few.pages) == 3 and few.truncated and not few.chars_cut
    short = sandbox.extract(pdfs.PAPER, max_chars=1000)
    assert sum(len(page) for page in short.pages) == 1000 and short.truncated and short.chars_cut
    # The limit reached at the end of a page: the text says it was cut, and no empty page follows.
    first = sandbox.extract(pdfs.PAPER, max_pages=1).pages[0]
    edge = sandbox.extract(pdfs.PAPER, max_chars=len(first))
    assert edge.pages == [first] and edge.chars_cut
    assert not sandbox.extract(pdfs.HELLO).chars_cut


# --- Untrusted text: every character kept ---------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    """``text`` as a PDF literal string in UTF-16 (with its byte order mark), every byte an octal escape."""
    return b"(" + b"".join(b"\\%03o" % byte for byte in b"\xfe\xff" + text.encode("utf-16-be", "surrogatepass")) + b")"


HIDDEN = "bell\x07 nul\x00 nel\x85 unit\x1f rlo\u202eevil"


def test_metadata_and_comments_keep_every_character_and_mark_nul(tmp_path):
    # Review: a UTF-16 title lost its NUL, and a comment ended at its first NUL.
    objects = pdfs.page_objects(b"BT /F1 12 Tf 72 720 Td (Body) Tj ET")
    objects[2] = objects[2][:-2] + b" /Annots [7 0 R] >>"
    objects.append(b"<< /Title " + _pdf_string("Title " + HIDDEN) + b" /Author (Eve \\007bell) >>")
    objects.append(
        b"<< /Type /Annot /Subtype /Text /Rect [40 480 60 500] /Contents "
        + _pdf_string("before\x00after " + HIDDEN)
        + b" /T "
        + _pdf_string("Mallory\x00")
        + b" >>"
    )
    path = tmp_path / "hidden.pdf"
    path.write_bytes(pdfs.build_pdf(objects, trailer_extra=b"/Info 6 0 R "))
    marked = HIDDEN.replace("\x00", "<U+0000>")
    content = sandbox.extract(path)
    assert content.title == "Title " + marked
    assert content.authors == ["Eve \x07bell"]  # the same BEL in PDFDocEncoding, kept the same way
    [note] = content.annotations
    assert (note.comment, note.author) == ("before<U+0000>after " + marked, "Mallory<U+0000>")
    assert sandbox.identify(path).title == "Title " + marked


def test_a_lone_surrogate_in_the_metadata_is_marked_not_a_failed_read(tmp_path):
    objects = pdfs.page_objects(b"BT /F1 12 Tf 72 720 Td (Body) Tj ET")
    objects.append(b"<< /Title " + _pdf_string("half \ud800 pair") + b" >>")
    path = tmp_path / "surrogate.pdf"
    path.write_bytes(pdfs.build_pdf(objects, trailer_extra=b"/Info 6 0 R "))
    content = sandbox.extract(path)
    assert (content.title, content.pages) == ("half <U+D800> pair", ["Body"])


# --- Highlights and comments ---------------------------------------------------------------------------------------


def test_a_sticky_note_written_by_a_viewer_is_read_with_its_author():
    [note] = sandbox.extract(pdfs.STICKY_NOTE).annotations
    assert (note.page, note.kind, note.comment, note.author) == (
        1,
        "note",
        "This annotation has a subject field.",
        "Author Name",
    )
    assert note.quote == ""


def test_highlights_and_notes_are_read_with_their_pages_and_quotes(tmp_path):
    annotated = pdfs.annotate(
        pdfs.PAPER,
        tmp_path / "annotated.pdf",
        [
            # Across a line end where the word is hyphenated ("writ-" / "ten"): one quote, the word whole.
            Mark(1, "highlight", "(CAS) writ\ufffeten in the Python", comment="the language  it is\nwritten in"),
            Mark(2, "underline", "Python is a popular dy\ufffenamically typed"),
            Mark(29, "note", comment="Try nsimplify on π ≈ 22/7", author="Ondřej", at=(40.0, 300.0)),
            Mark(3, "note", comment=""),  # an empty sticky note says nothing: left out
        ],
    )
    found = sandbox.extract(annotated).annotations
    assert [(a.page, a.kind, a.quote, a.comment) for a in found] == [
        (1, "highlight", "(CAS) written in the Python", "the language  it is\nwritten in"),
        (2, "underline", "Python is a popular dynamically typed", ""),
        (29, "note", "", "Try nsimplify on π ≈ 22/7"),
    ]
    assert found[2].author == "Ondřej"
    assert found[0].modified == "2025-01-03T12:00:00+01:00"
    assert 0 < found[0].position < 1
    # The same annotations read again are the same (a note that updates finds them by ident).
    assert [a.ident for a in sandbox.extract(annotated).annotations] == [a.ident for a in found]


def test_a_changed_comment_changes_only_that_annotations_ident(tmp_path):
    before = pdfs.annotate(pdfs.PAPER, tmp_path / "a.pdf", [Mark(1, "highlight", "full featured", comment="one")])
    after = pdfs.annotate(pdfs.PAPER, tmp_path / "b.pdf", [Mark(1, "highlight", "full featured", comment="two")])
    again = pdfs.annotate(pdfs.PAPER, tmp_path / "c.pdf", [Mark(1, "highlight", "full featured", comment="one")])
    [one], [two], [same] = (sandbox.extract(path).annotations for path in (before, after, again))
    assert one.ident == same.ident != two.ident


# --- Hostile and broken files: one line naming the file, never a hang ---------------------------------------------


def test_a_truncated_real_pdf_is_one_line(tmp_path):
    data = pdfs.PAPER.read_bytes()
    cut = tmp_path / "cut in half.pdf"
    cut.write_bytes(data[: len(data) // 2])
    assert failure(cut).endswith("damaged: not a readable PDF structure")


def test_one_flipped_bit_in_a_compressed_stream_is_damage_not_success(tmp_path):
    # Found by fuzzing: PDFium refused the file with its error code for "Success", and the line said so.
    data = bytearray(pdfs.PAPER.read_bytes())
    data[249672] ^= 0x04
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    assert failure(flipped).endswith("could not read: damaged: PDFium could not load it")


def test_a_file_that_is_not_a_pdf_or_is_empty_is_one_line(tmp_path):
    text = tmp_path / "notes.pdf"
    text.write_text("These are my notes, not a PDF.\n")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    html = tmp_path / "paywall.pdf"  # what a publisher sends instead of the PDF
    html.write_text("<!DOCTYPE html><html><body>Please log in</body></html>")
    assert failure(text).endswith("could not read: not a PDF")
    assert failure(empty).endswith("could not read: the file is empty")
    assert failure(html).endswith("could not read: not a PDF")
    assert failure(tmp_path / "missing.pdf").endswith("the file could not be opened (No such file or directory)")
    assert failure(tmp_path).endswith("could not read: not a regular file")


def test_an_encrypted_pdf_is_one_line(tmp_path):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdfs.encrypted())
    assert failure(locked).endswith("could not read: the PDF is encrypted")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("pages.pdf", pdfs.huge_page_count),
        ("nested.pdf", pdfs.deeply_nested),
    ],
)
def test_pdfs_built_to_break_a_parser_are_read_or_refused_in_one_line(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    try:
        content = sandbox.extract(path, timeout=20)
    except PdfError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: could not read: ")
    else:
        assert len(content.pages) <= 5000


_HANG = """
import os, subprocess, sys, time
# Stands in for a PDF that sends PDFium into a loop: the worker hangs, and has started a helper of its own
# (-I: without this hook), which may even leave the worker's process group and keep its stdout open.
leave = os.environ["PAPERSHELF_TEST_HELPER_LEAVES"] == "1"
helper = subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(30)"], start_new_session=leave)
with open(os.environ["PAPERSHELF_TEST_HELPER_PID"], "w") as out:
    out.write(str(helper.pid))
time.sleep(60)
"""


def _running(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\tZ" not in status.read_text()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="looks for the helper in /proc")
@pytest.mark.parametrize("leaves", [False, True], ids=["helper in the group", "helper left the group"])
def test_a_reader_over_its_time_limit_is_stopped_with_what_it_started(tmp_path, monkeypatch, leaves):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_HANG)  # Python runs it as the worker starts
    monkeypatch.setenv("PYTHONPATH", str(hook))
    monkeypatch.setenv("PAPERSHELF_TEST_HELPER_PID", str(tmp_path / "helper.pid"))
    monkeypatch.setenv("PAPERSHELF_TEST_HELPER_LEAVES", "1" if leaves else "0")
    start = time.monotonic()
    try:
        message = failure(pdfs.PAPER, timeout=2)
        # Regression: a helper that left the group held the worker's stdout, and closing it waited 30 s.
        assert time.monotonic() - start < 12
    finally:
        helper = int((tmp_path / "helper.pid").read_text())
        if leaves:
            os.kill(helper, 9)
    assert message.endswith("could not read: timed out after 2 s")
    if not leaves:  # killed with the worker's process group (and reaped by init)
        for _ in range(50):
            if not _running(helper):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the worker's own child outlived the timeout")


def test_a_decompression_bomb_stops_at_the_memory_limit(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the address-space limit is enforced on Linux only")
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(pdfs.decompression_bomb(60))  # 180 KB that inflate to 60 MB of page content
    message = failure(bomb, memory_mb=128)
    assert "out of memory (the limit is 128 MB)" in message, message
    # The same limits read an honest paper: the limit is what the PDF costs, not the reader's own start.
    assert sandbox.extract(pdfs.PAPER, memory_mb=128).page_count == 29
    # Regression: under a limit too small for anything, loading PDFium failed and the message blamed the file.
    assert "out of memory (the limit is 20 MB)" in failure(pdfs.PAPER, memory_mb=20)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 200))
def test_a_real_pdf_with_bytes_flipped_is_read_or_refused_in_one_line(tmp_path, seed, flips):
    data = bytearray(pdfs.PAPER.read_bytes())
    chance = random.Random(seed)
    for _ in range(flips):
        data[chance.randrange(len(data))] ^= 1 << chance.randrange(8)
    path = tmp_path / f"flipped-{seed}.pdf"
    path.write_bytes(bytes(data))
    start = time.monotonic()
    try:
        content = sandbox.extract(path, timeout=20)
    except PdfError as exc:
        message = str(exc)
        assert "\n" not in message and "Traceback" not in message
        assert message.startswith(f"{path}: could not read: ")
    else:
        assert content.page_count >= 0 and all("\r" not in page for page in content.pages)
    assert time.monotonic() - start < 30


# --- Isolation ----------------------------------------------------------------------------------------------------

_READ_IN_A_FRESH_APP = """
import os, subprocess, sys
from pathlib import Path
children = []
real_popen = subprocess.Popen
class Spy(real_popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        children.append(self.pid)
subprocess.Popen = Spy
from papershelf.core.pdf import extract
content = extract(Path(sys.argv[1]))
print(content.pages[0])
print("pypdfium2" in sys.modules, "pypdfium2_raw" in sys.modules)
print(len(children), children[0] != os.getpid())
"""


def test_the_app_process_never_loads_pdfium_to_read():
    """The text arrives, yet the reading process never imported PDFium: a child did the work."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    result = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_FRESH_APP, str(pdfs.HELLO)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert result.stdout.splitlines() == ["Hello world", "False False", "1 True"], result.stderr
