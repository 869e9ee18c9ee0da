"""PDFs in the window: drop and attach (with undo), Enter opens the PDF (Shift+Enter the web page), D downloads
from the local test server, the detail pane lists the PDFs and says where the search matched inside them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QHelpEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QToolTip

from ..online_server import OnlineServer, Reply, online_server_fixture  # noqa: F401 (gives `online_server`)
from .conftest import FIXTURES, focus_table, import_through_preview, wait_search, wait_settled

ARXIV_ID = "2509.90002"


def make_pdf(pages: list[str], *, title: str = "") -> bytes:
    """A small PDF with one line of Helvetica text per page (and an Info title): enough for PDFium to read."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    info_id = font_id + 1
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(f"<< /Title ({title}) >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def write_pdf(folder: Path, name: str, pages: list[str], **kwargs) -> Path:
    path = folder / name
    path.write_bytes(make_pdf(pages, **kwargs))
    return path


def wait_pdf_idle(qtbot, window, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: not window.pdf_flow.busy and window.runner.settled, timeout=timeout)
    wait_settled(qtbot, window)


def attachments(window, paper_id):
    from papershelf.core.attachments import attachments_of

    return attachments_of(window.library, [paper_id]).get(paper_id, [])


def row_point(window, paper_id) -> QPoint:
    row = window.table_model.row_of(paper_id)
    return window.table.visualRect(window.table_model.index(row, 0)).center()


def drop(widget, point: QPoint, paths: list[Path]) -> bool:
    """Drag ``paths`` over ``widget`` (the table: ``point`` in its viewport) and drop them: whether it took them.

    Qt delivers synthetic drag events only during a real drag, so the handlers are called in its order.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    steps = [QDropEvent.Type.DragEnter, QDropEvent.Type.DragMove, QDropEvent.Type.Drop]
    handlers = [widget.dragEnterEvent, widget.dragMoveEvent, widget.dropEvent]
    for kind, handler in zip(steps, handlers, strict=True):
        event = QDropEvent(
            QPointF(point),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            kind,
        )
        handler(event)
        if not event.isAccepted():
            return False
    return True


def shown_text(rich: str) -> str:
    """The text a message box shows for a question (the window hands it over as literal HTML)."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(rich)
    return document.toPlainText()


def current_paper(window):
    return window.library.get(window.table.current_id())


# --- Attach, drop, undo ----------------------------------------------------------------------------------------


def test_attach_pdf_from_the_paper_menu_and_undo_takes_it_off(papers, qtbot, tmp_path, monkeypatch):
    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "reading.pdf", ["Introduction", "Method", "Results"])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(pdf)], "")))
    window.acts.attach_pdf_action.trigger()
    wait_pdf_idle(qtbot, window)
    found = attachments(window, paper_id)
    assert [a.name for a in found] == ["reading.pdf"]
    assert found[0].kind == "stored" and found[0].path != pdf and found[0].path.read_bytes() == pdf.read_bytes()
    # The detail pane lists it: name, pages, stored; the text was read for the search.
    qtbot.waitUntil(
        lambda: window.detail.attachments.lines == ["reading.pdf · 3\u00a0pages · 1\u00a0KB"], timeout=10000
    )
    assert window.detail.attachments.isVisible()
    assert window.table.pdf_ids == frozenset({paper_id})
    # One Ctrl+Z takes it off again; the user's file stays where it was.
    assert window.undo_stack.undoText() == "Attach reading.pdf"
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert attachments(window, paper_id) == []
    assert pdf.exists()
    qtbot.waitUntil(lambda: not window.detail.attachments.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: window.table.pdf_ids == frozenset(), timeout=5000)  # the title's marker went too


def test_a_pdf_dropped_on_a_row_goes_to_that_paper(papers, qtbot, tmp_path):
    window = papers
    other = window.table_model.paper_id(1)
    pdf = write_pdf(tmp_path, "dropped.pdf", ["Nothing that names a paper"])
    assert drop(window.table, row_point(window, other), [pdf])
    wait_pdf_idle(qtbot, window)
    assert [a.name for a in attachments(window, other)] == ["dropped.pdf"]


def test_a_pdf_dropped_on_the_details_or_a_note_goes_to_the_paper_shown(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "shown.pdf", ["Nothing that names a paper"])
    assert drop(window.detail, QPoint(10, 10), [pdf])
    wait_pdf_idle(qtbot, window)
    assert [a.name for a in attachments(window, paper_id)] == ["shown.pdf"]
    assert window.library.stats()["all"] == 2
    # A note never gets the file's path pasted into it: it leaves the drop to the pane (text still drops in).
    qtbot.mouseClick(window.detail.notes.add_button, Qt.MouseButton.LeftButton)
    editor = window.detail.notes.editors[-1]
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(pdf))])
    text = QMimeData()
    text.setText("a quote")
    assert not editor.canInsertFromMimeData(files) and editor.canInsertFromMimeData(text)


def test_a_pdf_dropped_on_the_window_goes_to_the_paper_its_arxiv_id_names(papers, qtbot, tmp_path):
    window = papers
    pdf = write_pdf(tmp_path, "2509.90002v1.pdf", [f"arXiv:{ARXIV_ID}v1 [cs.LG] 11 Sep 2025", "Body"])
    paper_id = window.library.search_ids(f"{ARXIV_ID}") or [
        pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID
    ]
    assert drop(window, QPoint(10, 10), [pdf])
    wait_pdf_idle(qtbot, window)
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    assert [a.name for a in attachments(window, target)] == [pdf.name]
    assert paper_id
    assert window.library.stats()["all"] == 2  # no new paper


def test_a_dropped_pdf_that_names_no_paper_becomes_a_new_one_and_undo_removes_it(papers, qtbot, tmp_path):
    window = papers
    pdf = write_pdf(tmp_path, "unknown.pdf", ["A Study of Nothing in Particular"], title="A Study of Nothing")
    drop(window, QPoint(10, 10), [pdf])
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 3
    assert "A Study of Nothing" in [window.library.get(pid).title for pid in window.library.search_ids("")]
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 2


def test_a_file_that_is_not_a_pdf_is_one_line_and_changes_nothing(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    fake = tmp_path / "notes.pdf"
    fake.write_text("these are notes, not a PDF")
    drop(window.table, row_point(window, paper_id), [fake])
    wait_pdf_idle(qtbot, window)
    assert attachments(window, paper_id) == []
    message = window.statusBar().currentMessage()
    assert "notes.pdf" in message and "\n" not in message
    assert window.undo_stack.count() == 1  # the import only


def test_an_attach_to_a_paper_deleted_meanwhile_leaves_no_stray_copy(papers, qtbot, tmp_path, monkeypatch, dialogs):
    """Review: the app's attach stored the copy, the paper went before the change ran, and the copy stayed in the
    files folder with nothing pointing to it (the command line moves such a copy to the trash)."""
    from papershelf.core import attachments as core_attachments

    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "orphan.pdf", ["Orphan"])
    prepare = core_attachments.prepare_attach

    def prepared_then_deleted(library, pid, path, **kwargs):
        operation = prepare(library, pid, path, **kwargs)
        library.delete_papers([pid])  # another window or `papershelf delete`, while the copy was made
        return operation

    monkeypatch.setattr(core_attachments, "prepare_attach", prepared_then_deleted)
    window.pdf_flow.attach_files(paper_id, [pdf])
    wait_pdf_idle(qtbot, window)
    assert dialogs.shown and "no paper" in " ".join(dialogs.shown[0]).lower()
    dialogs.shown.clear()
    files = core_attachments.files_dir(window.library)
    left = sorted(p.relative_to(files).parts[0] for p in files.rglob("*.pdf"))
    assert left == [".trash"]  # the copy is in the trash, not among the stored files
    assert pdf.exists()


# --- Enter, Shift+Enter -----------------------------------------------------------------------------------------


def test_enter_opens_the_pdf_and_shift_enter_the_web_page(papers, qtbot, tmp_path, opened):
    from papershelf.core.attachments import attach

    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "x.pdf", ["Hello"])
    attached = attach(window.library, paper_id, pdf, link=True)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened == [QUrl.fromLocalFile(str(pdf))]
    assert opened[0].toString().startswith("file:///") and opened[0].toString().endswith("/x.pdf")
    assert attached.path == pdf
    qtbot.keyClick(window.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert opened[1] == QUrl(current_paper(window).link)
    assert opened[1].scheme() == "https"


def test_enter_says_so_when_no_program_can_open_the_pdf(papers, qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    from papershelf.core.attachments import attach

    window = papers
    attach(window.library, window.table.current_id(), write_pdf(tmp_path, "x.pdf", ["Hello"]), link=True)
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert window.statusBar().currentMessage() == "No program could open x.pdf."


def test_enter_on_a_paper_without_a_pdf_opens_its_web_page_and_says_so(papers, qtbot, opened):
    window = papers
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert [u.toString() for u in opened] == [current_paper(window).link]
    assert "No PDF" in window.statusBar().currentMessage()


def test_enter_on_a_paper_whose_pdf_went_missing_says_which_file(papers, qtbot, tmp_path, opened):
    from papershelf.core.attachments import attach

    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "moved.pdf", ["Hello"])
    attach(window.library, paper_id, pdf, link=True)
    pdf.unlink()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert [u.scheme() for u in opened] == ["https"]
    assert "moved.pdf" in window.statusBar().currentMessage()


def test_enter_on_a_missing_pdf_of_a_paper_without_a_web_page_names_the_pdf(papers, qtbot, tmp_path, opened):
    """The PDF is what the user pressed Enter for: its being missing is said first, not just "no web page"."""
    from papershelf.core.attachments import attach

    window = papers
    bib = tmp_path / "offline.bib"
    bib.write_text("@article{offline2020, title = {A Paper With No Web Page}, author = {Ada Lovelace}, year = 2020}\n")
    import_through_preview(qtbot, window, bib)
    [paper_id] = [pid for pid in window.table_model.ids if window.library.get(pid).link is None]
    pdf = write_pdf(tmp_path, "lovelace.pdf", ["Hello"])
    attach(window.library, paper_id, pdf, link=True)
    pdf.unlink()
    window.table.select_row(window.table_model.row_of(paper_id))
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened == []
    message = window.statusBar().currentMessage()
    assert message.startswith("lovelace.pdf is missing (Locate… in the details)"), message
    assert "no web page" in message


# --- Download -----------------------------------------------------------------------------------------------------


def test_d_downloads_the_arxiv_pdf_from_the_server(papers, qtbot, online_server, monkeypatch):
    window = papers
    body = make_pdf(["Shapley values for multi-agent credit", "More"])
    online_server.add(f"/pdf/{ARXIV_ID}", Reply(body, content_type="application/pdf"))
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    window.table.select_row(window.table_model.row_of(target))
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_D)
    wait_pdf_idle(qtbot, window)
    found = attachments(window, target)
    assert len(found) == 1 and found[0].path.read_bytes() == body
    assert [r.path for r in online_server.requests] == [f"/pdf/{ARXIV_ID}"]
    assert window.pdf_flow.last_message == "Downloaded 1 PDF."
    qtbot.waitUntil(lambda: bool(window.detail.attachments.lines), timeout=5000)
    assert "2\u00a0pages" in window.detail.attachments.lines[0]


def test_a_reading_lists_menu_downloads_its_papers_pdfs(papers, qtbot, online_server, monkeypatch):
    window = papers
    online_server.add(f"/pdf/{ARXIV_ID}", Reply(make_pdf(["Listed"]), content_type="application/pdf"))
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    window.library.add_to_list('Train "reading"', [target], create=True)
    window.pdf_flow.download_list('Train "reading"')
    wait_pdf_idle(qtbot, window)
    assert [r.path for r in online_server.requests] == [f"/pdf/{ARXIV_ID}"]
    assert len(attachments(window, target)) == 1
    window.pdf_flow.download_list("A list deleted meanwhile")
    assert "A list deleted meanwhile" in window.pdf_flow.last_message, window.pdf_flow.last_message


def test_cancel_stops_a_download_and_attaches_nothing(papers, qtbot, online_server, monkeypatch):
    window = papers
    online_server.add(f"/pdf/{ARXIV_ID}", Reply(make_pdf(["slow"]) * 20, content_type="application/pdf", trickle=0.01))
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    window.pdf_flow.download([target])
    qtbot.waitUntil(lambda: window.pdf_flow.progress.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: bool(online_server.requests), timeout=5000)
    qtbot.mouseClick(window.pdf_flow.progress.cancel_button, Qt.MouseButton.LeftButton)
    wait_pdf_idle(qtbot, window)
    assert attachments(window, target) == []
    assert "cancelled" in window.pdf_flow.last_message.lower()
    assert not window.pdf_flow.progress.isVisible()


def test_a_long_failure_ends_in_an_ellipsis_short_of_the_paper_count(papers, qtbot, monkeypatch):
    """At 800x600 a failed download's line ran into "2 papers" ("…(Nam2 papers"): it now ends in "…" before a
    gap, and the whole line is the bar's tooltip."""
    from papershelf.gui.widgets.status_bar import GAP

    from ..online_server import closed_port

    window = papers
    window.resize(800, 600)
    long_host = "mirror-of-the-arxiv-pdfs-for-offline-reading." * 2 + "example"
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", f"http://127.0.0.1:{closed_port()}/pdf/{long_host}")
    window.pdf_flow.download([window.table.current_id()])
    wait_pdf_idle(qtbot, window)
    status = window.statusBar()
    message = status.currentMessage()
    # What went wrong comes first (the paper by its arXiv id), the URL after; the whole line is kept for the tooltip.
    assert message.startswith(f"Could not download 1 PDF: {current_paper(window).arxiv_id}: "), message
    assert long_host in message
    # Nothing is drawn in the gap before the paper count: the text stops short of it.
    count = window.hit_count
    assert count.isVisible() and count.text().endswith("papers")
    image = status.grab().toImage()
    strip_x = range(count.x() - GAP + 2, count.x() - 1)
    colours = {image.pixel(x, y) for x in strip_x for y in range(image.height())}
    assert len(colours) == 1, "text in the gap before the paper count"
    shown = status.shown_message()
    assert shown.endswith("…") and message.startswith(shown[:-1]) and len(shown) < len(message)
    assert status.tip() == message
    # Hovering the message shows it whole, as text (a URL or a file name is never read as HTML).
    inside = status.message_rect().center()
    status.event(QHelpEvent(QEvent.Type.ToolTip, inside, status.mapToGlobal(inside)))
    assert QToolTip.isVisible() and shown_text(QToolTip.text()) == message
    QToolTip.hideText()
    # A message that fits is shown whole, with no tooltip.
    status.showMessage("Downloaded 1 PDF.", 5000)
    assert status.shown_message() == "Downloaded 1 PDF." and status.tip() == ""


def test_a_long_file_name_in_the_progress_ends_in_an_ellipsis_and_leaves_room_for_messages(papers):
    progress = papers.pdf_flow.progress
    text = "Checking " + "a-paper-with-a-very-long-name-" * 4 + "final.pdf…"
    progress.start(text)
    shown = progress.label.text()
    assert "…" in shown[:-1] and shown.endswith("final.pdf…") and progress.text == text
    assert progress.label.fontMetrics().horizontalAdvance(shown) <= progress.LABEL_WIDTH
    assert "a-paper-with-a-very-long-name-" * 4 in progress.label.toolTip()
    progress.cancelling()
    assert progress.text == text[:-1] + " — cancelling…"
    progress.finish()


# --- Search inside the PDF ------------------------------------------------------------------------------------------


def test_a_search_matched_in_the_pdf_says_the_page(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "body.pdf", ["Introduction", "Related work", "We use a <b>zygomorphic</b> lattice"])
    window.pdf_flow.attach_files(paper_id, [pdf])
    wait_pdf_idle(qtbot, window)
    window.search_field.setText("zygomorphic")
    window.paper_view.run_search()
    wait_search(qtbot, window)
    assert window.table_model.ids == [paper_id]
    window.table.select_row(0)
    hit = window.detail.attachments.hit
    qtbot.waitUntil(lambda: hit.isVisible(), timeout=5000)
    assert hit.text().startswith("In the PDF, page 3: We use a")
    assert "zygomorphic" in hit.text() and "<b>" in hit.text()  # shown as typed, never as HTML
    assert hit.textFormat() == Qt.TextFormat.PlainText


# --- Real PDFs: a drop below the rows, the page of a match, a damaged file -------------------------------------------

SYMPY = FIXTURES / "pdfs" / "sympy-paper.pdf"  # 29 pages, title and DOI inside (tests/fixtures/pdfs/SOURCES.md)


def pages_with(path: Path, word: str) -> set[int]:
    """The pages (1-based) of ``path`` whose text has ``word``: what the test expects the app to find."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return {n + 1 for n in range(len(document)) if word in document[n].get_textpage().get_text_range()}
    finally:
        document.close()


def below_the_rows(window) -> QPoint:
    last = window.table.visualRect(window.table_model.index(window.table_model.rowCount() - 1, 0))
    point = QPoint(20, last.bottom() + 30)
    assert window.table.indexAt(point).row() == -1
    return point


def test_a_real_paper_dropped_below_the_rows_becomes_a_paper_and_a_second_drop_finds_it_by_doi(papers, qtbot, tmp_path):
    window = papers
    window.resize(1200, 800)
    copy = tmp_path / "sympy.pdf"
    copy.write_bytes(SYMPY.read_bytes())
    drop(window.table, below_the_rows(window), [SYMPY])
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 3
    titles = {window.library.get(pid).title: pid for pid in window.library.search_ids("")}
    paper_id = titles["SymPy: Symbolic Computing in Python"]
    assert "Aaron Meurer" in window.library.get(paper_id).authors
    assert [a.name for a in attachments(window, paper_id)] == ["sympy-paper.pdf"]
    assert "added as a new paper" in window.pdf_flow.last_message
    # The same file again, under another name: its DOI finds the paper, which has it already.
    drop(window.table, below_the_rows(window), [copy])
    wait_pdf_idle(qtbot, window)
    assert window.library.stats()["all"] == 3
    assert len(attachments(window, paper_id)) == 1
    assert "DOI 10.7717/peerj-cs.103" in window.pdf_flow.last_message
    assert "has this PDF already" in window.pdf_flow.last_message


def test_a_drop_of_pdfs_and_other_files_goes_to_the_window_whole(papers):
    from papershelf.gui.widgets.paper_table_view import dropped_pdfs

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/a.pdf"), QUrl.fromLocalFile("/tmp/refs.bib")])
    assert dropped_pdfs(mime) == []  # the table leaves it to the window, which imports the .bib too
    mime.setUrls([QUrl.fromLocalFile("/tmp/a.pdf"), QUrl.fromLocalFile("/tmp/B.PDF")])
    assert dropped_pdfs(mime) == [Path("/tmp/a.pdf"), Path("/tmp/B.PDF")]


def test_a_search_in_a_real_paper_names_a_page_that_has_the_word(papers, qtbot):
    window = papers
    paper_id = window.table.current_id()
    window.pdf_flow.attach_files(paper_id, [SYMPY])
    wait_pdf_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.detail.attachments.lines == ["sympy-paper.pdf · 29\u00a0pages · 246\u00a0KB"])
    window.search_field.setText("mpmath")
    window.paper_view.run_search()
    wait_search(qtbot, window)
    assert window.table_model.ids == [paper_id]
    window.table.select_row(0)
    hit = window.detail.attachments.hit
    qtbot.waitUntil(lambda: hit.isVisible(), timeout=5000)
    page = int(hit.text().removeprefix("In the PDF, page ").split(":")[0])
    assert page in pages_with(SYMPY, "mpmath")
    assert "mpmath" in hit.text().lower()


def test_a_damaged_pdf_is_listed_as_could_not_read_and_the_app_goes_on(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(SYMPY.read_bytes()[:60_000])  # cut off mid-file, as an interrupted copy leaves it
    window.pdf_flow.attach_files(paper_id, [damaged])
    wait_pdf_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.detail.attachments.lines), timeout=5000)
    line = window.detail.attachments.lines[0]
    assert line.startswith("damaged.pdf · ") and line.count("could not read") == 1, line  # said once
    assert "damaged.pdf" in window.statusBar().currentMessage()
    assert "\n" not in window.statusBar().currentMessage()
    # The paper keeps its PDF (it can still be opened), and the next search works.
    assert [a.name for a in attachments(window, paper_id)] == ["damaged.pdf"]
    window.search_field.setText("sympy")
    window.paper_view.run_search()
    wait_search(qtbot, window)


def test_a_pdfs_notes_from_a_viewer_show_in_the_notes_at_once(papers, qtbot):
    window = papers
    paper_id = window.table.current_id()
    sticky = FIXTURES / "pdfs" / "annotation-popup-subject.pdf"  # pdf.js: a sticky note with an author
    window.pdf_flow.attach_files(paper_id, [sticky])
    wait_pdf_idle(qtbot, window)
    notes = window.library.get(paper_id).notes
    assert len(notes) == 1 and "annotation-popup-subject.pdf" in notes[0].text
    qtbot.waitUntil(lambda: window.detail.notes.shows(window.library.get(paper_id).notes), timeout=5000)


def test_remove_from_the_papers_menu_keeps_the_users_file_and_undo_brings_the_pdf_back(papers, qtbot, tmp_path):
    window = papers
    paper_id = window.table.current_id()
    pdf = write_pdf(tmp_path, "wrong-paper.pdf", ["Not this one"])
    window.pdf_flow.attach_files(paper_id, [pdf])
    wait_pdf_idle(qtbot, window)
    [stored] = attachments(window, paper_id)
    qtbot.waitUntil(lambda: bool(window.detail.attachments.lines), timeout=5000)
    row = window.detail.attachments.findChild(QLabel, "attachmentLine").parentWidget()
    row.customContextMenuRequested.emit(QPoint(5, 5))
    menu = window.detail.attachments.menu
    [remove] = [a for a in menu.actions() if a.text() == "Remove from This Paper"]
    remove.trigger()
    menu.close()
    wait_pdf_idle(qtbot, window)
    assert attachments(window, paper_id) == []
    assert window.undo_stack.undoText() == "Remove wrong-paper.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")  # the user's own file is never touched
    qtbot.waitUntil(lambda: not window.detail.attachments.isVisible(), timeout=5000)
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    [back] = attachments(window, paper_id)
    assert back.path == stored.path and not back.missing and back.path.read_bytes() == pdf.read_bytes()


def test_delete_asks_about_the_papers_pdfs_and_undo_brings_them_back(papers, qtbot, tmp_path, dialogs):
    from PySide6.QtWidgets import QMessageBox

    from papershelf.core.attachments import attach

    window = papers
    paper_id = window.table.current_id()
    other = next(pid for pid in window.table_model.ids if pid != paper_id)
    pdf = write_pdf(tmp_path, "kept.pdf", ["Hello"])
    [stored] = [attach(window.library, paper_id, pdf).path]
    linked = write_pdf(tmp_path, "mine.pdf", ["Mine"])
    attach(window.library, other, linked, link=True)
    dialogs.question = QMessageBox.StandardButton.Yes
    window.table.select_row(window.table_model.row_of(paper_id))
    window.edits.delete_papers()
    wait_pdf_idle(qtbot, window)
    assert shown_text(dialogs.questions[-1]) == (
        "Delete this paper with its notes, tags and PDF? The PDF moves to the trash in the library's files folder. "
        "Edit ▸ Undo brings them back."
    )
    assert not stored.exists()  # in the trash, until Undo
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    assert [a.path for a in attachments(window, paper_id)] == [stored] and stored.read_bytes() == pdf.read_bytes()
    # Both papers: one stored copy goes to the trash, the user's own linked file stays.
    wait_search(qtbot, window)
    window.acts.select_all_action.trigger()
    window.edits.delete_papers()
    wait_pdf_idle(qtbot, window)
    assert shown_text(dialogs.questions[-1]) == (
        "Delete these 2 papers with their notes, tags and 2 PDFs? 1 stored PDF moves to the trash in the library's "
        "files folder; 1 linked PDF stays where it is. Edit ▸ Undo brings them back."
    )
    assert linked.exists() and window.library.count() == 0


def test_delete_without_pdfs_asks_about_notes_and_tags_only(papers, dialogs):
    window = papers
    window.edits.delete_papers()  # Cancel
    assert [shown_text(q) for q in dialogs.questions] == [
        "Delete this paper with its notes and tags? Edit ▸ Undo brings them back."
    ]
    assert window.library.count() == 2


def test_locate_repairs_a_pdf_that_was_moved(papers, qtbot, tmp_path, monkeypatch, opened):
    from papershelf.core.attachments import attach

    window = papers
    paper_id = window.table.current_id()
    first = tmp_path / "old" / "paper.pdf"
    first.parent.mkdir()
    first.write_bytes(SYMPY.read_bytes())
    attach(window.library, paper_id, first, link=True)
    moved = tmp_path / "new" / "paper.pdf"
    moved.parent.mkdir()
    first.rename(moved)
    window.detail.refresh()
    qtbot.waitUntil(lambda: bool(window.detail.attachments.lines), timeout=5000)
    assert window.detail.attachments.lines[0].endswith(" — missing")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(moved), "")))
    locate = window.detail.attachments.findChild(QPushButton, "locateButton")
    qtbot.mouseClick(locate, Qt.MouseButton.LeftButton)
    wait_pdf_idle(qtbot, window)
    found = attachments(window, paper_id)
    assert [(a.path, a.missing) for a in found] == [(moved, False)]
    assert window.undo_stack.undoText() == "Locate paper.pdf"
    qtbot.waitUntil(lambda: "missing" not in window.detail.attachments.lines[0], timeout=5000)
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened == [QUrl.fromLocalFile(str(moved))]


# --- Download automatically -----------------------------------------------------------------------------------------


def test_auto_download_is_off_until_chosen_then_a_tag_brings_the_pdf(papers, qtbot, online_server, monkeypatch):
    from papershelf.core import operations as ops

    window = papers
    online_server.add(f"/pdf/{ARXIV_ID}", Reply(make_pdf(["Offline reading"]), content_type="application/pdf"))
    monkeypatch.setenv("PAPERSHELF_ARXIV_PDF", online_server.url + "/pdf")
    target = next(pid for pid in window.table_model.ids if window.library.get(pid).arxiv_id == ARXIV_ID)
    # Off by default: a tag downloads nothing.
    window.edits.run(ops.AddTags((target,), ("offline",)))
    wait_pdf_idle(qtbot, window)
    assert online_server.requests == [] and attachments(window, target) == []
    window.acts.auto_download_action.trigger()
    dialog = window.pdf_flow.auto_dialog
    assert dialog is not None and dialog.off.isChecked()
    dialog.tag_box.setFocus()
    qtbot.keyClicks(dialog.tag_box.lineEdit(), "to read")
    assert dialog.by_tag.isChecked()  # typing a tag chooses that option
    dialog.accept()
    wait_pdf_idle(qtbot, window)
    assert window.pdf_flow.auto_rule == ("tag", "to read")
    assert "to read" in window.statusBar().currentMessage()
    window.edits.run(ops.AddTags((target,), ("to read",)))
    wait_pdf_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(attachments(window, target)), timeout=10_000)
    wait_pdf_idle(qtbot, window)
    assert [r.path for r in online_server.requests] == [f"/pdf/{ARXIV_ID}"]
    # Choosing Off again is one undoable step; Undo brings the rule back.
    window.pdf_flow.set_auto_rule(None)
    wait_pdf_idle(qtbot, window)
    assert window.pdf_flow.auto_rule is None
    window.undo_stack.undo()
    wait_pdf_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.pdf_flow.auto_rule == ("tag", "to read"), timeout=5000)


def test_a_pdf_read_only_up_to_the_page_limit_says_so_in_the_details():
    """Words past the limit are not found by a search: the details say how much of the file was read."""
    from types import SimpleNamespace

    from papershelf.gui.widgets.attachments_view import attachment_line

    cut = SimpleNamespace(
        name="long.pdf",
        path=Path("/x/long.pdf"),
        pages=6000,
        size=2_000_000,
        kind="stored",
        missing=False,
        text_state="done",
        text_error="text of the first 5000 of 6000 pages read",
    )
    assert attachment_line(cut).endswith("— text of the first 5000 of 6000 pages read")
    assert "—" not in attachment_line(SimpleNamespace(**{**vars(cut), "text_error": None}))
