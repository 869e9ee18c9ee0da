"""The export dialog writes through the core exporters and remembers the folder."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from .conftest import focus_table, wait_settled


def entries(text: str) -> int:
    return len(re.findall(r"(?m)^@\w+\{", text))


def _run_export(window, qtbot, monkeypatch, target, choose=None):
    asked = []

    def fake_save(parent, caption, suggested, filters):
        asked.append(suggested)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    window.acts.export_action.trigger()
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    if choose:
        choose(dialog)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists(), timeout=10000)
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=10000)
    return asked


def test_export_the_current_search_to_bibtex(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    target = tmp_path / "out" / "papers.bib"
    target.parent.mkdir()
    _run_export(window, qtbot, monkeypatch, target)
    text = target.read_text(encoding="ascii")
    assert entries(text) == 49
    assert "DocThinker" in text
    # The folder and format are remembered.
    asked = _run_export(window, qtbot, monkeypatch, tmp_path / "out" / "again.bib")
    assert asked[0].startswith(str(target.parent))


def test_export_a_reading_list_without_abstracts(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    ids = window.table_model.ids[:3]
    window.edits.add_to_list("Reading group", ids, create=True)
    wait_settled(qtbot, window)  # the export dialog offers the lists the library has
    target = tmp_path / "group.bib"

    def choose(dialog):
        dialog.scope_buttons["list"].setChecked(True)
        dialog.list_combo.setCurrentText("Reading group")
        dialog.abstract_check.setChecked(False)

    _run_export(window, qtbot, monkeypatch, target, choose)
    text = target.read_text(encoding="ascii")
    assert entries(text) == 3
    assert "abstract" not in text


def test_export_the_selection_from_the_paper_menu(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    target = tmp_path / "two.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.acts.export_selection_action.trigger()
    dialog = window.export_flow.dialog
    assert dialog.scope() == ("selection", "")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.exists, timeout=10000)
    assert entries(target.read_text(encoding="ascii")) == 2


def test_export_to_a_folder_that_is_not_there_shows_an_error(imported, qtbot, monkeypatch, tmp_path, dialogs):
    window = imported
    target = tmp_path / "missing" / "x.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.acts.export_action.trigger()
    qtbot.mouseClick(window.export_flow.dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=10000)
    [(text, _info, _details)] = dialogs.take()
    assert "x.bib" in text
    assert not target.exists()


def test_export_onto_the_library_through_a_link_is_refused(imported, qtbot, monkeypatch, tmp_path, dialogs):
    """Choosing the library (here through a symlink) as the .bib never overwrites it."""
    window = imported
    link = tmp_path / "refs.bib"
    link.symlink_to(window.library.path)
    before = window.library.count()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(link), "")))
    window.acts.export_action.trigger()
    qtbot.mouseClick(window.export_flow.dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=10000)
    [(text, _info, _details)] = dialogs.take()
    assert "library" in text
    assert link.is_symlink() and window.library.count() == before


def test_export_says_which_papers_keep_characters_with_no_latex_form(imported, qtbot, monkeypatch, tmp_path, dialogs):
    window = imported
    import json

    listing = tmp_path / "cjk.json"
    listing.write_text(
        json.dumps(
            [
                {
                    "paper": {
                        "id": "2509.00001",
                        "title": "多模态大模型 survey",
                        "summary": "摘要",
                        "authors": [{"name": "王小明"}],
                        "publishedAt": "2025-09-10T00:00:00Z",
                    }
                }
            ]
        )
    )
    import datetime as dt

    # The listing the window shows.
    shown = dt.date.fromisoformat(window.paper_view.current_query().removeprefix("date:"))
    window.library.import_file(listing, listing_date=shown)
    window.paper_view.run_search()
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 50, timeout=10000)
    target = tmp_path / "out.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.acts.export_action.trigger()
    qtbot.waitUntil(window.export_flow.dialog.isVisible)
    qtbot.mouseClick(window.export_flow.dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=10000)
    [(text, info, _details)] = dialogs.take()
    assert "Exported 50 papers" in text and "1 paper keeps characters with no LaTeX form" in info
    assert "多模态大模型" in target.read_text(encoding="utf-8")
