"""Importing: preview first, a date the user can correct, cancel writes nothing, bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import threading

from PySide6.QtCore import QDate, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog

from .conftest import wait_preview, wait_search


def test_reimporting_shows_papers_already_in_the_library(imported, qtbot, sample):
    window = imported
    window.import_flow.import_paths([sample])
    preview = wait_preview(qtbot, window)
    assert preview.new_label.text() == "0"
    assert preview.existing_label.text() == "49"
    qtbot.mouseClick(preview.findChild(type(preview.import_button), "previewCancelButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy)
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.library.count() == 49


def test_the_user_corrects_the_listing_date(window, qtbot, sample):
    window.import_flow.import_paths([sample])
    preview = wait_preview(qtbot, window)
    detected = preview.date_edit.date().toPython()
    assert (detected.month, detected.day) == (9, 11)
    preview.date_edit.setDate(QDate(2025, 9, 11))
    # The preview runs again with the corrected date before Import is possible.
    qtbot.waitUntil(
        lambda: preview.import_button.isEnabled() and preview.import_result.listing_dates == [dt.date(2025, 9, 11)],
        timeout=5000,
    )
    assert preview.new_label.text() == "49"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    wait_search(qtbot, window)
    assert window.library.listing_dates() == [(dt.date(2025, 9, 11), 49)]
    assert window.paper_view.current_query() == "date:2025-09-11"
    assert window.table_model.rowCount() == 49


def test_a_date_typed_just_before_enter_is_the_one_imported(window, qtbot, sample):
    window.import_flow.import_paths([sample])
    preview = wait_preview(qtbot, window)
    preview.date_edit.setFocus()
    preview.date_edit.setDate(QDate(2024, 9, 11))  # as if typed over the guess
    qtbot.keyClick(preview.date_edit, Qt.Key.Key_Return)  # at once, before the preview refreshes
    qtbot.waitUntil(lambda: not window.import_flow.busy and window.library.count() == 49, timeout=10000)
    assert window.library.listing_dates() == [(dt.date(2024, 9, 11), 49)]
    # Citation keys are made with that year too, once and for good.
    assert all("2024" in p.citation_key for p in window.library.get_many(window.library.search_ids("")))


def test_clipboard_import_with_ctrl_shift_v(window, qtbot, sample):
    QGuiApplication.clipboard().setText(sample.read_text(encoding="utf-8"))
    window.activateWindow()
    window.search_field.clearFocus()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    preview = wait_preview(qtbot, window)
    assert preview.new_label.text() == "49"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    assert window.library.count() == 49


def test_pasting_text_that_is_not_a_listing_shows_an_error_and_changes_nothing(window, qtbot, dialogs):
    QGuiApplication.clipboard().setText("hello there\nthis is not a listing\n")
    window.acts.clipboard_action.trigger()
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=5000)
    [(text, _info, details)] = dialogs.take()
    assert "clipboard" in text and "listing" in text
    assert details  # the Details button is there
    assert window.library.count() == 0
    assert window.center.currentWidget() is window.welcome


def test_an_empty_clipboard_says_so(window, qtbot, dialogs):
    QGuiApplication.clipboard().setText("")
    window.acts.clipboard_action.trigger()
    [(text, _info, _details)] = dialogs.take()
    assert "clipboard" in text.lower()


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QDropEvent.Type.DragEnter,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    return drop


def test_a_dropped_binary_file_shows_an_error_and_changes_nothing(window, qtbot, tmp_path, dialogs):
    bad = tmp_path / "picture.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    before = _content(window.library_path)
    _drop(window, [bad])
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=5000)
    [(text, _info, _details)] = dialogs.take()
    assert "picture.png" in text and "binary" in text
    qtbot.waitUntil(lambda: not window.import_flow.busy)
    assert window.library.count() == 0
    assert _content(window.library_path) == before


def _content(path):
    """Everything the library holds, read through SQLite: Python's open() on it would drop the app's locks."""
    from papershelf.core import db

    with db.connection(path, readonly=True) as conn:
        return "\n".join(conn.iterdump())


def test_dropping_several_files_previews_each(window, qtbot, sample, sample_json_file):
    _drop(window, [sample, sample_json_file])
    first = wait_preview(qtbot, window)
    assert first.new_label.text() == "49"
    qtbot.mouseClick(first.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.import_flow.preview is not None and window.import_flow.preview is not first, timeout=10000
    )
    second = wait_preview(qtbot, window)
    assert second.format_label.text() == "Daily papers (JSON)"
    qtbot.mouseClick(second.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    assert window.library.count() == 49 + 2


def test_a_cancelled_import_writes_nothing(window, qtbot, sample, monkeypatch):
    from papershelf.core.library import Library

    gate = threading.Event()
    original = Library.import_file

    def slow_import(self, source, **kwargs):
        report = kwargs.get("progress")

        def progress(done):
            if report:
                report(done)
            if not kwargs.get("dry_run"):
                gate.wait(10)  # hold the import open until the user has pressed Cancel

        kwargs["progress"] = progress
        return original(self, source, **kwargs)

    monkeypatch.setattr(Library, "import_file", slow_import)
    window.import_flow.import_paths([sample])
    preview = wait_preview(qtbot, window)
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.import_flow.progress is not None and window.import_flow.progress.isVisible(), timeout=5000
    )
    progress = window.import_flow.progress
    assert progress.objectName() == "importProgress"
    cancel = [b for b in progress.findChildren(type(preview.import_button)) if b.text() == "Cancel"][0]
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.library.count() == 0
    assert window.library.listing_dates() == []


def test_file_import_action_and_toolbar(window, qtbot, sample, monkeypatch):
    asked = []

    def fake_open(parent, caption, folder, filters):
        asked.append(folder)
        return [str(sample)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_open))
    button = window.acts.toolbar.widgetForAction(window.acts.import_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    preview = wait_preview(qtbot, window)
    preview.reject()
    qtbot.waitUntil(lambda: not window.import_flow.busy)
    # The folder is remembered for next time.
    window.acts.import_action.trigger()
    wait_preview(qtbot, window).reject()
    assert asked[-1] == str(sample.parent)
    assert window.library.count() == 0


def test_the_sample_listing_button(window, qtbot):
    qtbot.mouseClick(window.welcome.sample_button, Qt.MouseButton.LeftButton)
    preview = wait_preview(qtbot, window)
    assert preview.new_label.text() == "49"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    assert QApplication.focusWidget() in (window.table, None)
    assert window.library.count() == 49
