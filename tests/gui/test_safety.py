"""Listing text is untrusted: shown literally, and only web links open."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QToolButton

from papershelf.gui.links import open_url, safe_url
from papershelf.gui.models.paper_table import Column

from .conftest import focus_table, import_through_preview, wait_settled, wait_sidebar


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
    for bad in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "https://",
        "",
        None,
        "ftp://x.org",
    ):
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


# --- Hidden characters: bidi overrides, terminal escapes, NUL, C1 ---------------------------

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
SPOOF_TITLE = f'Invoice {RLO}exe.txt {LRI}isolated{PDI} and <a href="file:///etc/passwd">click</a>'
SPOOF_AUTHOR = f"Eve {RLO}evE"
SPOOF_ABSTRACT = (
    "Line one\x1b[2J and\x1b]8;;http://evil.example\x07a link\nNUL:\x00 DEL:\x7f C1:\x9b31m RLM:\u200f\rOVER"
)
SPOOF_URL = f"https://example.org/{RLO}fdp.exe"
SPOOF_TAG = f"{RLO}gat"
SPOOF_LIST = f"<b>List</b> \x1b[31mred{RLO}"


def _bidi_listing(tmp_path):
    items = [
        {
            "paper": {
                "id": "2509.00002",
                "title": SPOOF_TITLE,
                "summary": SPOOF_ABSTRACT,
                "authors": [{"name": SPOOF_AUTHOR}, {"name": "<i>Mallory</i>\x1b[31m"}],
                "publishedAt": "2025-09-10T00:00:00.000Z",
                "submittedOnDailyAt": "2025-09-11T00:00:00.000Z",
                "projectPage": SPOOF_URL,
            }
        }
    ]
    path = tmp_path / "spoof.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def _hidden(text: str, *, multiline: bool = False) -> list[str]:
    """Characters a screen acts on instead of showing (bidi and other controls)."""
    import unicodedata

    from papershelf.core.display import BIDI_CONTROLS

    keep = "\n\t" if multiline else ""
    return [c for c in text if c not in keep and (unicodedata.category(c) in ("Cc", "Cs") or ord(c) in BIDI_CONTROLS)]


def _rendered(rich: str) -> str:
    """What a Qt widget that guesses rich text shows for ``rich``."""
    from PySide6.QtGui import Qt as GuiQt
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    if GuiQt.mightBeRichText(rich):
        document.setHtml(rich)
    else:
        document.setPlainText(rich)
    return document.toPlainText().replace("\u2029", "\n").replace("\xa0", " ")


@pytest.fixture
def spoofed(make_window, qtbot, tmp_path):
    window = make_window()
    import_through_preview(qtbot, window, _bidi_listing(tmp_path))
    pid = window.table_model.paper_id(0)
    window.library.add_tags([pid], [SPOOF_TAG])
    window.library.add_to_list(SPOOF_LIST, [pid], create=True)
    window.refresh_all()
    wait_sidebar(qtbot, window)
    window.table.select_row(0)
    window.detail.refresh(notes=True)
    return window


def test_bidi_and_control_characters_are_shown_as_marks_everywhere(spoofed):
    window = spoofed
    detail = window.detail
    # The title cannot pass for "txt.exe": the override shows as a mark, in the table and the pane.
    assert detail.title.text() == (
        'Invoice <U+202E>exe.txt <U+2066>isolated<U+2069> and <a href="file:///etc/passwd">click</a>'
    )
    assert detail.title.textFormat() == Qt.TextFormat.PlainText
    assert detail.authors.text() == "Eve <U+202E>evE, <i>Mallory</i><U+001B>[31m"
    abstract = detail.abstract.toPlainText()
    assert abstract.startswith(
        "Line one<U+001B>[2J and<U+001B>]8;;http://evil.example<U+0007>a link\nNUL:<U+0000> DEL:<U+007F> C1:<U+009B>31m"
    )
    assert abstract.endswith("RLM:<U+200F><U+000D>OVER")
    row = [window.table_model.index(0, c).data() for c in Column]
    assert row[Column.TITLE] == detail.title.text()
    assert row[Column.FIRST_AUTHOR] == "Eve <U+202E>evE"
    assert row[Column.TAGS] == "<U+202E>gat"
    shown = [
        *row,
        _rendered(window.table_model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)),
        detail.lists.text(),
        *(button.toolTip() for button in detail.link_buttons),
        *(chip.text() for chip in detail.tag_editor.findChildren(QToolButton, "tagChip")),
        *(chip.accessibleName() for chip in detail.tag_editor.findChildren(QToolButton, "tagChip")),
        window.sidebar_model.find("tag", SPOOF_TAG).data(),
        window.sidebar_model.find("list", SPOOF_LIST).data(),
    ]
    for text in shown:
        assert not _hidden(text), text
    assert detail.lists.text() == "<b>List</b> <U+001B>[31mred<U+202E>"
    assert _rendered(window.table_model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)) == row[Column.TITLE]
    assert not _hidden(abstract, multiline=True)
    # Display only: the library keeps every character.
    paper = window.library.get(window.table_model.paper_id(0))
    assert (paper.title, paper.authors[0], paper.abstract) == (SPOOF_TITLE, SPOOF_AUTHOR, SPOOF_ABSTRACT)
    for label in window.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, (label.objectName(), label.text())


def test_dialogs_show_names_literally_and_act_on_the_stored_name(spoofed, qtbot, monkeypatch, dialogs):
    from PySide6.QtWidgets import QInputDialog

    window = spoofed
    pid = window.table_model.paper_id(0)
    # Remove Tag: the choice is shown with marks and removes the stored tag.
    offered = {}

    def pick(parent, title, label, items, *args, **kwargs):
        offered["items"] = list(items)
        return items[0], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    window.acts.remove_tags_action.trigger()
    assert offered["items"] == ["<U+202E>gat"]
    wait_settled(qtbot, window)
    assert window.library.get(pid).tags == []
    # The undo text in the Edit menu names the tag with marks too.
    assert not _hidden(window.acts.undo_action.text())
    assert "<U+202E>gat" in window.acts.undo_action.text()


def test_questions_and_input_labels_show_markup_literally(imported, qtbot, monkeypatch, dialogs):
    """QMessageBox.question and QInputDialog guess rich text: a list name must not turn into a link."""
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    window = imported
    name = '<a href="file:///etc/passwd">Reading</a> list'
    window.library.create_list(name)
    window.refresh_all()
    wait_sidebar(qtbot, window)
    assert window.sidebar_controller.select("list", name)
    dialogs.question = QMessageBox.StandardButton.Cancel
    window.acts.delete_list_action.trigger()
    assert _rendered(dialogs.questions[-1]) == f"Delete the reading list “{name}”? The papers stay in the library."
    wait_settled(qtbot, window)  # Cancel: nothing is on its way either
    assert [n for n, _ in window.library.lists()] == [name]
    labels = []
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda parent, title, label, *a, **k: labels.append(label) or ("", False))
    )
    window.search_field.set_text_silently('<img src=x> "a\u202eb"')
    window.sidebar_controller.save_search()
    assert "<a href" in window.paper_view.filter_query
    assert _rendered(labels[-1]) == f'Name for the search “{window.paper_view.filter_query} <img src=x> "a<U+202E>b"”:'


def test_the_list_chooser_and_export_dialog_show_marks_and_use_stored_names(spoofed, qtbot):
    from papershelf.gui.dialogs.export import LIST, ExportDialog
    from papershelf.gui.dialogs.list_chooser import ListChooser

    window = spoofed
    chooser = ListChooser([SPOOF_LIST, "Plain"], 1, window)
    qtbot.addWidget(chooser)
    assert [chooser.view.item(i).text() for i in range(chooser.view.count())] == [
        "<b>List</b> <U+001B>[31mred<U+202E>",
        "Plain",
    ]
    assert chooser.choice() == (SPOOF_LIST, False)
    dialog = ExportDialog(
        formats=["bibtex"],
        extensions={},
        selection_count=1,
        search_count=1,
        lists=["Plain", SPOOF_LIST],
        tags=[SPOOF_TAG],
        folder=".",
        scope=LIST,
        value=SPOOF_LIST,
        parent=window,
    )
    qtbot.addWidget(dialog)
    assert dialog.list_combo.currentText() == "<b>List</b> <U+001B>[31mred<U+202E>"
    assert dialog.list_combo.currentData() == SPOOF_LIST
    assert dialog.tag_combo.itemText(0) == "<U+202E>gat"


def test_a_library_file_name_with_an_override_cannot_spoof_the_window_title(make_window, tmp_path):
    window = make_window(tmp_path / f"papers{RLO}etilqs.sqlite3")
    assert window.windowTitle() == "Papershelf — papers<U+202E>etilqs.sqlite3"
