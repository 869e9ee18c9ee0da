"""Listing text is untrusted: shown literally, and only web links open."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from papershelf.gui.links import open_url, safe_url
from papershelf.gui.models.paper_table import Column

from .conftest import focus_table, import_through_preview


def _hostile_listing(tmp_path):
    items = [
        {
            "paper": {
                "id": "2509.00001",
                "title": "<img src=x> <b>bold</b> & friends",
                "summary": "An abstract with <script>alert(1)</script> and <a href='javascript:alert(1)'>a link</a>.",
                "authors": [{"name": "<i>Eve</i>"}],
                "publishedAt": "2025-09-10T00:00:00.000Z",
                "submittedOnDailyAt": "2025-09-11T00:00:00.000Z",
                "projectPage": "javascript:alert(document.cookie)",
                "githubRepo": "https://github.com/example/safe",
            }
        }
    ]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_markup_in_a_listing_is_shown_literally(make_window, qtbot, tmp_path):
    window = make_window()
    import_through_preview(qtbot, window, _hostile_listing(tmp_path))
    window.table.select_row(0)
    detail = window.detail
    assert detail.title.text() == "<img src=x> <b>bold</b> & friends"
    assert detail.title.textFormat() == Qt.TextFormat.PlainText
    assert detail.authors.text() == "<i>Eve</i>"
    for label in window.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, (label.objectName(), label.text())
    assert "<script>alert(1)</script>" in detail.abstract.toPlainText()
    assert detail.abstract.document().toPlainText() == detail.abstract.toPlainText()
    # The table and its tooltip show the title as text too.
    title = window.table_model.index(0, Column.TITLE)
    assert title.data() == "<img src=x> <b>bold</b> & friends"
    tip = title.data(Qt.ItemDataRole.ToolTipRole)
    assert "<img" not in tip and "&lt;img src=x&gt;" in tip
    assert detail.tag_editor.input.text() == ""


def test_a_javascript_link_is_never_opened(make_window, qtbot, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString()) or True))
    window = make_window()
    import_through_preview(qtbot, window, _hostile_listing(tmp_path))
    window.table.select_row(0)
    buttons = {b.text(): b for b in window.detail.link_buttons}
    project = buttons["Project page"]
    assert not project.isEnabled()
    project.clicked.emit()  # even if it were clicked
    assert opened == []
    assert "only http and https" in window.statusBar().currentMessage()
    qtbot.mouseClick(buttons["Code"], Qt.MouseButton.LeftButton)
    assert opened == ["https://github.com/example/safe"]


def test_link_checks():
    assert safe_url("https://arxiv.org/abs/2509.00001") is not None
    assert safe_url("http://example.org/x") is not None
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "file:///etc/passwd", "data:text/html,x", "https://", "", None, "ftp://x.org"):
        assert safe_url(bad) is None, bad
        assert open_url(bad) is False


def test_enter_refuses_a_javascript_paper_link(make_window, qtbot, tmp_path, monkeypatch):
    from papershelf.core.library import Library

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    window = make_window()
    import_through_preview(qtbot, window, _hostile_listing(tmp_path))
    original = Library.get

    def with_bad_url(self, paper_id):
        paper = original(self, paper_id)
        paper.url = "javascript:alert(1)"
        return paper

    monkeypatch.setattr(Library, "get", with_bad_url)
    window.table.select_row(0)
    window.detail.show_paper(None)
    window.table.select_row(0)
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert opened == []
    assert "only http and https" in window.statusBar().currentMessage()
