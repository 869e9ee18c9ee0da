"""Paper ▸ Edit Entry… and Copy Citation Key, as a user drives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from papershelf.core import names
from papershelf.core import operations as ops
from papershelf.core.operations.edit import parse_change
from papershelf.gui.dialogs.entry_editor import EntryEditor

from .conftest import import_through_preview, wait_search, wait_settled

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bib-corpus"


@pytest.fixture
def dblp(window, qtbot):
    import_through_preview(qtbot, window, CORPUS / "dblp-cvc5.bib")
    return window


def select(qtbot, window, key: str) -> int:
    pid = window.library.resolve(key)
    wait_search(qtbot, window)
    row = window.table_model.row_of(pid)
    assert row is not None
    window.table.select_row(row)
    qtbot.waitUntil(lambda: window.detail.paper_id == pid, timeout=5000)
    return pid


def open_editor(qtbot, window, key: str) -> EntryEditor:
    select(qtbot, window, key)
    window.acts.edit_entry_action.trigger()
    editor = window.citing.editor
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def field(editor: EntryEditor, name: str):
    return editor.fields[name][0]


def test_the_editor_shows_every_field_of_an_imported_entry(dblp, qtbot):
    editor = open_editor(qtbot, dblp, "MengRTB17")
    assert editor.type_combo.currentText() == "inproceedings"
    assert field(editor, "key").text() == "MengRTB17"
    assert field(editor, "title").text() == "Relational Constraint Solving in SMT"
    assert field(editor, "when").text() == "2017"
    assert editor.venue_label.text() == "&Booktitle:"
    assert field(editor, "venue").text().startswith("Automated Deduction - CADE 26")
    assert field(editor, "pages").text() == "148–165"
    assert field(editor, "doi").text() == "10.1007/978-3-319-63046-5_10"
    assert editor.authors.table.rowCount() == 4
    assert editor.authors.name_at(3) == names.Name("Clark W.", "", "Barrett")
    assert editor.editors.name_at(0) == names.Name("Leonardo", "de", "Moura")
    assert editor.ok_button.isEnabled()
    editor.reject()


def test_a_long_title_opens_showing_its_start_not_selected(dblp, qtbot):
    """The focused title opened fully selected and scrolled to its end ("r Arithmetic and Transcendental Functions")."""
    editor = open_editor(qtbot, dblp, "DBLP:journals/tocl/CimattiGIRS18")
    title = field(editor, "title")
    assert title.hasFocus() or editor.focusWidget() is title
    qtbot.waitUntil(lambda: not title.hasSelectedText() and title.cursorPosition() == 0, timeout=2000)
    editor.reject()


def test_editing_applies_one_undoable_step_and_changes_only_that_field(dblp, qtbot):
    pid = dblp.library.resolve("MengRTB17")
    before = dblp.library.get(pid)
    editor = open_editor(qtbot, dblp, "MengRTB17")
    field(editor, "pages").setText("148--166")
    editor.authors.table.item(1, 1).setText("Andrew J.")  # a person's first name
    editor.type_combo.setCurrentText("article")  # the venue becomes a journal
    assert editor.venue_label.text() == "&Journal:"
    depth = dblp.undo_stack.count()
    qtbot.mouseClick(editor.ok_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, dblp)
    qtbot.waitUntil(lambda: dblp.citing.editor is None, timeout=5000)
    after = dblp.library.get(pid)
    assert after.extra_fields["pages"] == "148–166"
    assert after.authors == [before.authors[0], "Andrew J. Reynolds", *before.authors[2:]]
    assert after.entry_type == "article"
    assert after.extra_fields["journal"].startswith("Automated Deduction")
    assert "booktitle" not in after.extra_fields
    assert dblp.undo_stack.count() == depth + 1
    assert dblp.undo_stack.undoText() == "Edit 5 fields"  # type, pages, booktitle, journal, author

    dblp.acts.undo_action.trigger()
    wait_settled(qtbot, dblp)
    restored = dblp.library.get(pid)
    assert (restored.authors, restored.extra_fields, restored.entry_type) == (
        before.authors,
        before.extra_fields,
        before.entry_type,
    )


def test_a_bad_value_turns_the_field_red_and_blocks_ok(dblp, qtbot):
    editor = open_editor(qtbot, dblp, "MengRTB17")
    for name, bad in (("when", "20x7"), ("doi", "not a doi"), ("pages", "twelve"), ("url", "ftp://x")):
        line = field(editor, name)
        original = line.text()
        line.setText(bad)
        assert not editor.ok_button.isEnabled(), name
        assert "background-color" in line.styleSheet()
        assert line.toolTip() and line.toolTip() == editor.problem_label.text()
        line.setText(original)
        assert editor.ok_button.isEnabled(), name
        assert line.styleSheet() == ""
    # A name bibtex would read otherwise: its row turns red.
    editor.authors.table.item(0, 2).setText("Van")
    assert not editor.ok_button.isEnabled()
    assert "von part" in editor.problem_label.text()
    editor.authors.table.item(0, 2).setText("")
    assert editor.ok_button.isEnabled()
    editor.reject()


def test_names_can_be_added_moved_removed_and_made_an_organisation(dblp, qtbot):
    pid = dblp.library.resolve("MengRTB17")
    editor = open_editor(qtbot, dblp, "MengRTB17")
    table = editor.authors
    table.table.setCurrentCell(3, 1)
    table.add_button.click()
    assert table.table.rowCount() == 5
    table.table.item(4, 3).setText("Alphabet Mobility")
    table.table.item(4, 0).setCheckState(Qt.CheckState.Checked)
    table.table.setCurrentCell(0, 1)
    table.down_button.click()
    table.table.setCurrentCell(2, 1)  # Cesare Tinelli
    table.remove_button.click()
    qtbot.mouseClick(editor.ok_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, dblp)
    assert dblp.library.get(pid).authors == [
        "Andrew Reynolds",
        "Baoluo Meng",
        "Clark W. Barrett",
        "{Alphabet Mobility}",
    ]


def test_a_taken_key_is_said_in_the_editor_which_stays_open(dblp, qtbot):
    editor = open_editor(qtbot, dblp, "MengRTB17")
    field(editor, "key").setText("ReynoldsB15")
    depth = dblp.undo_stack.count()
    qtbot.mouseClick(editor.ok_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, dblp)
    qtbot.waitUntil(lambda: "already used" in editor.problem_label.text(), timeout=5000)
    assert editor.isVisible() and editor.ok_button.isEnabled()
    assert dblp.undo_stack.count() == depth
    editor.reject()


def test_untrusted_text_shows_as_plain_text(window, qtbot, tmp_path):
    bib = tmp_path / "evil.bib"
    bib.write_text('@misc{evil, title={<b>bold</b> <a href="x">link</a>}, note={<i>n</i>}}\n', encoding="utf-8")
    import_through_preview(qtbot, window, bib)
    editor = open_editor(qtbot, window, "evil")
    assert field(editor, "title").text() == '<b>bold</b> <a href="x">link</a>'
    assert editor.other.item(0, 1).text() == "<i>n</i>"
    assert editor.problem_label.textFormat() == Qt.TextFormat.PlainText
    editor.reject()


def test_copy_citation_key_copies_cite_and_pins_the_keys(window, qtbot, sample):
    import_through_preview(qtbot, window, sample, expect_new=49)
    library = window.library
    ids = library.search_ids("")[:2]
    assert not any(p.key_pinned for p in library.get_many(ids))  # listed papers' keys may still change
    wait_search(qtbot, window)
    window.table.select_row(window.table_model.row_of(ids[0]))
    window.table.selectionModel().select(
        window.table_model.index(window.table_model.row_of(ids[1]), 0),
        window.table.selectionModel().SelectionFlag.Select | window.table.selectionModel().SelectionFlag.Rows,
    )
    keys = [p.citation_key for p in library.get_many(window.table.selected_ids())]
    assert len(keys) == 2
    window.acts.copy_cite_action.trigger()
    assert QGuiApplication.clipboard().text() == "\\cite{" + ",".join(keys) + "}"
    wait_settled(qtbot, window)
    assert all(p.key_pinned for p in library.get_many(ids))
    window.acts.copy_key_action.trigger()
    assert QGuiApplication.clipboard().text() == ", ".join(keys)
    QApplication.processEvents()


def test_the_shortcuts_are_listed(window):
    rows = {text: keys[0].toString() for _menu, text, keys in window.acts.shortcut_rows()}
    assert rows["Copy Citation Key"] == "Ctrl+Shift+C"
    assert rows["Edit Entry"] == "Ctrl+I"


def test_screenshot_of_the_editor(dblp, qtbot, tmp_path):
    editor = open_editor(qtbot, dblp, "DBLP:journals/tocl/CimattiGIRS18")
    editor.grab().save(str(tmp_path / "entry-editor.png"))
    assert (tmp_path / "entry-editor.png").stat().st_size > 0
    editor.reject()


def test_a_double_click_on_a_paper_opens_its_entry(dblp, qtbot):
    pid = select(qtbot, dblp, "MengRTB17")
    rect = dblp.table.visualRect(dblp.table_model.index(dblp.table_model.row_of(pid), 0))
    qtbot.mouseClick(dblp.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dblp.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: dblp.citing.editor is not None, timeout=5000)
    assert dblp.citing.editor.paper.id == pid
    dblp.citing.editor.reject()


def test_the_editor_fits_the_screen_and_the_authors_get_the_room(dblp, qtbot):
    editor = open_editor(qtbot, dblp, "DBLP:journals/tocl/CimattiGIRS18")  # five authors, no editors
    room = editor.screen().availableGeometry()
    assert editor.width() <= room.width() and editor.height() <= room.height()
    hint = editor.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 600  # an 800×600 screen: the fields scroll
    assert editor.editors.table.rowCount() == 0 and editor.other.rowCount() == 3
    # Empty editors take one row, three other fields three: the five authors are all in sight.
    row = editor.authors.table.rowHeight(0)
    assert editor.editors.table.height() < 3 * row
    assert editor.other.height() < 5 * row
    assert editor.authors.table.viewport().height() >= 5 * row
    editor.reject()


def test_a_one_word_name_is_a_person_not_an_organisation(dblp, qtbot):
    pid = dblp.library.resolve("MengRTB17")
    dblp.library.run(ops.EditFields.of(pid, [parse_change("author", "Meng, Baoluo and Ζεύς and Plato")]))
    editor = open_editor(qtbot, dblp, "MengRTB17")
    assert [editor.authors.name_at(row) for row in range(3)] == [
        names.Name("Baoluo", "", "Meng"),
        names.Name(last="Ζεύς"),
        names.Name(last="Plato"),
    ]
    editor.reject()
