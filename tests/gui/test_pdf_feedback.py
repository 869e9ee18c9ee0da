"""What the window says and does around PDF work (review of issue 15's GUI): a drop or attach of several PDFs is
one undo step and one status line, an undone remove or delete is searchable again at once, Enter and Shift+Enter
say what they opened, files are named by their bare name, a multi-paper download failure names each paper, and
Esc cancels the PDF job that runs."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from ..online_server import Reply, closed_port, online_server_fixture  # noqa: F401 (gives `online_server`)
from .test_pdfs import ARXIV_ID, attachments, below_the_rows, drop, row_point, wait_pdf_idle, write_pdf


def applied_count(window) -> list[object]:
    """The changes the window's writer applied from now on (one per undo step)."""
    seen: list[object] = []
    window.runner.applied.connect(seen.append)
    return seen


# --- One drop, one change ---------------------------------------------------------------------------------------


def test_a_drop_of_several_pdfs_below_the_rows_is_one_undo_step_and_one_line(papers, qtbot, tmp_path):
    window = papers
    window.resize(1200, 800)
    before = window.undo_stack.count()
    files = [write_pdf(tmp_path, f"m{n}.pdf", [f"Nothing {n}"], title=f"Dropped paper {n}") for n in range(5)]
    changes = applied_count(window)
    messages: list[str] = []
    window.statusBar().messageChanged.connect(lambda text: text and messages.append(text))
    assert drop(window.table, below_the_rows(window), files)
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 7
    assert window.undo_stack.count() == before + 1
    assert window.undo_stack.undoText() == "Add 5 dropped PDFs"
    assert window.pdf_flow.last_message == "5 PDFs added as new papers."
    assert [m for m in messages if "added" in m] == ["5 PDFs added as new papers."]  # no flash of one per file
    assert len(changes) == 1  # the views refreshed once
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 2


def test_a_drop_that_attaches_some_and_adds_others_says_both(papers, qtbot, tmp_path):
    window = papers
    known = write_pdf(tmp_path, "known.pdf", [f"arXiv:{ARXIV_ID}v1 [cs.LG] 11 Sep 2025"])
    unknown = write_pdf(tmp_path, "unknown.pdf", ["Nothing"], title="A Paper Nobody Has")
    drop(papers, QPoint(10, 10), [known, unknown])
    wait_pdf_idle(qtbot, window)
    assert window.pdf_flow.last_message == "1 attached, 1 added as a new paper."
    assert window.library.stats()["all"] == 3


def test_two_pdfs_dropped_on_a_row_are_one_step_and_name_the_paper(papers, qtbot, tmp_path):
    window = papers
    other = window.table_model.paper_id(1)
    before = window.undo_stack.count()
    files = [write_pdf(tmp_path, "a.pdf", ["First"]), write_pdf(tmp_path, "b.pdf", ["Second"])]
    assert drop(window.table, row_point(papers, other), files)
    wait_pdf_idle(qtbot, window)
    assert sorted(a.name for a in attachments(papers, other)) == ["a.pdf", "b.pdf"]
    assert window.undo_stack.count() == before + 1 and window.undo_stack.undoText() == "Attach 2 PDFs"
    title = window.library.get(other).title
    assert window.pdf_flow.last_message.startswith("Attached 2 PDFs to “" + title[:40])
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert attachments(papers, other) == []


def test_a_file_that_is_not_a_pdf_is_named_by_its_bare_name(papers, qtbot, tmp_path):
    window = papers
    fake = tmp_path / "notes.pdf"
    fake.write_text("these are notes, not a PDF")
    drop(window.table, row_point(papers, window.table.current_id()), [fake])
    wait_pdf_idle(qtbot, window)
    message = window.statusBar().currentMessage()
    assert message.startswith("notes.pdf: ") and str(tmp_path) not in message, message


# --- Undo brings a PDF back into the search ------------------------------------------------------------------------


def test_an_undone_remove_is_found_by_the_search_again(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    window.pdf_flow.attach_files(paper_id, [write_pdf(tmp_path, "fish.pdf", ["zebrafish embryos"])])
    wait_pdf_idle(qtbot, window)
    assert window.library.search_ids("zebrafish") == [paper_id]
    [attached] = attachments(papers, paper_id)
    window.pdf_flow.remove_attachment(attached.id, "fish.pdf")
    wait_pdf_idle(qtbot, window)
    assert window.library.search_ids("zebrafish") == []
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert [a.text_state for a in attachments(papers, paper_id)] == ["done"]
    assert window.library.search_ids("zebrafish") == [paper_id]


def test_an_undone_delete_is_found_by_the_search_again(papers, qtbot, tmp_path, dialogs):
    window = papers
    from PySide6.QtWidgets import QMessageBox

    paper_id = window.table.current_id()
    window.pdf_flow.attach_files(paper_id, [write_pdf(tmp_path, "fish.pdf", ["zebrafish embryos"])])
    wait_pdf_idle(qtbot, window)
    dialogs.question = QMessageBox.StandardButton.Yes
    window.edits.delete_papers()
    wait_pdf_idle(qtbot, window)
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert window.library.search_ids("zebrafish") == [paper_id]


# --- What Enter, Shift+Enter and a failed download say ------------------------------------------------------------------


def test_enter_and_shift_enter_say_what_they_opened(papers, qtbot, tmp_path, opened):
    window = papers
    window.pdf_flow.attach_files(window.table.current_id(), [write_pdf(tmp_path, "x.pdf", ["Hello"])])
    wait_pdf_idle(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert len(opened) == 1
    assert window.statusBar().currentMessage() == "Opened x.pdf in your PDF viewer."  # not the stored copy's hash
    qtbot.keyClick(window.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert opened[1].scheme() == "https"
    assert window.statusBar().currentMessage() == "Opened the paper's web page."


def test_a_failed_download_of_two_papers_names_both(papers, qtbot, monkeypatch):
    window = papers
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", f"http://127.0.0.1:{closed_port()}/pdf")
    ids = list(window.table_model.ids)
    arxiv_ids = [window.library.get(pid).arxiv_id for pid in ids]
    window.pdf_flow.download(ids)
    wait_pdf_idle(qtbot, window, timeout=60_000)
    message = window.statusBar().currentMessage()
    # Both ids come first, so a narrow window shows them; then why each failed.
    assert message.startswith(f"Could not download 2 PDFs ({arxiv_ids[0]}, {arxiv_ids[1]}): {arxiv_ids[0]}: "), message
    assert f"; {arxiv_ids[1]}: " in message and "connection refused" in message, message
    assert not message.endswith("….")  # a reason cut short ends the line as it is


# --- Esc cancels the PDF job --------------------------------------------------------------------------------------------


def test_esc_on_the_table_cancels_a_download(papers, qtbot, online_server, monkeypatch):
    window = papers
    online_server.add(
        f"/pdf/{ARXIV_ID}", Reply(b"%PDF-1.4\n" + b"x" * 200_000, content_type="application/pdf", trickle=0.01)
    )
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    window.pdf_flow.download([target])
    qtbot.waitUntil(lambda: bool(online_server.requests), timeout=5000)
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)
    wait_pdf_idle(qtbot, window)
    assert attachments(papers, target) == []
    assert "cancelled" in window.pdf_flow.last_message.lower()


def test_esc_in_the_search_field_still_clears_the_search(papers, qtbot):
    window = papers
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, "shapley")
    qtbot.waitUntil(lambda: len(window.table_model.ids) == 1, timeout=5000)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    assert window.search_field.text() == ""
    qtbot.waitUntil(lambda: len(window.table_model.ids) == 2, timeout=5000)  # the whole library again
    assert not window.pdf_flow.busy


def test_d_on_papers_that_all_have_their_pdf_says_nothing_to_download(papers, qtbot, tmp_path):
    """Review screenshot: "Downloaded 0 PDFs; 2 skipped" for two papers that had their PDF already."""
    window = papers
    ids = list(window.table_model.ids)
    for n, paper_id in enumerate(ids):
        window.pdf_flow.attach_files(paper_id, [write_pdf(tmp_path, f"p{n}.pdf", [f"Paper {n}"])])
        wait_pdf_idle(qtbot, window)
    window.pdf_flow.download(ids)
    wait_pdf_idle(qtbot, window)
    assert window.pdf_flow.last_message == "Nothing to download: 2 skipped (a PDF already, or no arXiv id)."


def test_a_download_failing_for_many_papers_names_the_first_ids_and_stays_bounded():
    from types import SimpleNamespace

    from papershelf.gui.pdf_messages import MAX_LINE, download_failures

    failed = [SimpleNamespace(arxiv_id=f"2509.{n:05d}", paper_id=n, message="HTTP 404 " * 30) for n in range(800)]
    text = download_failures(failed)
    assert text.startswith(" (2509.00000, 2509.00001, 2509.00002, 2509.00003, 2509.00004, …): 2509.00000: HTTP 404")
    assert len(text) < MAX_LINE and text.endswith(" more")
