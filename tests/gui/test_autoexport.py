"""Live files in the app: "Keep updated" in the export dialog, the file following changes, and the sidebar showing it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMenu

from papershelf.core import autoexport
from papershelf.core import operations as ops
from papershelf.gui.models.sidebar import LIST, LiveRole

from .conftest import wait_settled, wait_sidebar


def keys(path: Path) -> list[str]:
    return [line.split("{", 1)[1].rstrip(",") for line in path.read_text().splitlines() if line.startswith("@")]


def wait_live(qtbot, window) -> None:
    """Until the debounced sync has run and every change it made has landed."""
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: not window.live_files.pending, timeout=10_000)
    wait_settled(qtbot, window)


def bind_from_dialog(window, qtbot, monkeypatch, target: Path, list_name: str = "Thesis") -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.export_flow.open_export("list", list_name)
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.keep_updated_check.isEnabled()
    dialog.keep_updated_check.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "kept updated" in window.statusBar().currentMessage(), timeout=10_000)
    wait_live(qtbot, window)


def thesis(window, qtbot) -> list[int]:
    ids = window.table_model.ids[:3]
    window.edits.add_to_list("Thesis", ids, create=True)
    wait_settled(qtbot, window)
    return ids


def test_keep_updated_is_offered_only_for_a_list_tag_or_saved_search(imported, qtbot):
    window = imported
    thesis(window, qtbot)
    window.export_flow.open_export()
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.scope()[0] == "search" and not dialog.keep_updated_check.isEnabled()
    dialog.scope_buttons["list"].setChecked(True)
    assert dialog.keep_updated_check.isEnabled()
    dialog.keep_updated_check.setChecked(True)
    dialog.scope_buttons["search"].setChecked(True)
    assert not dialog.keep_updated_check.isEnabled() and not dialog.keep_updated_check.isChecked()
    dialog.reject()


def test_a_live_file_follows_changes_made_in_the_app_and_their_undo(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    ids = thesis(window, qtbot)
    others = window.table_model.ids[3:6]
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    library = window.library
    [binding] = autoexport.bindings(library)
    assert (binding.kind, binding.name, binding.path) == ("list", "Thesis", str(refs))
    assert len(keys(refs)) == 3

    window.edits.add_to_list("Thesis", [others[0]])
    wait_live(qtbot, window)
    assert keys(refs)[-1] == library.get(others[0]).citation_key

    window.undo_stack.undo()  # the add, taken back
    wait_live(qtbot, window)
    assert len(keys(refs)) == 3

    window.edits.run(ops.SetTitle(ids[0], "Retitled in the App"))
    wait_live(qtbot, window)
    assert "Retitled in the App" in refs.read_text()

    window.edits.run(ops.SetCitationKey(ids[1], "appkey2025"))
    wait_live(qtbot, window)
    assert "appkey2025" in keys(refs)

    window.edits.remove_from_list("Thesis", [ids[2]])
    wait_live(qtbot, window)
    assert len(keys(refs)) == 2
    window.undo_stack.undo()
    wait_live(qtbot, window)
    assert len(keys(refs)) == 3


def test_changes_to_other_papers_leave_the_file_alone(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    before = os.stat(refs)
    other = window.table_model.ids[10]
    window.edits.run(ops.SetTitle(other, "Not in the thesis"))
    window.edits.set_status("read", [other])
    wait_live(qtbot, window)
    after = os.stat(refs)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_many_quick_changes_write_once(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    runs = []
    window.live_files.synced.connect(runs.append)
    for pid in window.table_model.ids[5:10]:
        window.edits.add_to_list("Thesis", [pid])
    wait_live(qtbot, window)
    assert len(runs) == 1 and [r.status for r in runs[0]] == ["written"]
    assert len(keys(refs)) == 8


def test_the_sidebar_shows_the_live_file_and_its_error_and_the_status_bar_says_it_once(
    imported, qtbot, monkeypatch, tmp_path
):
    window = imported
    thesis(window, qtbot)
    folder = tmp_path / "paper"
    folder.mkdir()
    refs = folder / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    wait_sidebar(qtbot, window)
    index = window.sidebar_model.find(LIST, "Thesis")
    assert [b.path for b in index.data(LiveRole)] == [str(refs)]
    assert str(refs) in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "kept updated in refs.bib" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert index.data(Qt.ItemDataRole.DisplayRole).endswith("→ refs.bib")

    refs.unlink()
    folder.rmdir()
    window.edits.add_to_list("Thesis", window.table_model.ids[6:7])
    wait_live(qtbot, window)
    assert window.statusBar().currentMessage() == "Could not update refs.bib: the folder does not exist"
    wait_sidebar(qtbot, window)
    index = window.sidebar_model.find(LIST, "Thesis")
    assert f"Not updated: {refs}: the folder does not exist" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # the warning
    window.statusBar().clearMessage()
    window.edits.set_status("read", window.table_model.ids[:1])  # the app goes on; the error is not said again
    wait_live(qtbot, window)
    assert "Could not update" not in window.statusBar().currentMessage()
    assert window.library.get(window.table_model.ids[0]).status == "read"


def test_the_sidebar_menu_updates_now_and_stops_keeping_the_file_updated(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    wait_sidebar(qtbot, window)
    shown: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, pos, *a: shown.append(menu))
    index = window.sidebar_model.find(LIST, "Thesis")
    window.sidebar_controller.show_menu(index, window.sidebar.mapToGlobal(window.sidebar.rect().center()))
    actions = {a.text(): a for a in shown[-1].actions()}
    assert "Update refs.bib Now" in actions and "Stop Keeping refs.bib Updated" in actions

    refs.write_text("edited by hand\n")
    actions["Update refs.bib Now"].trigger()
    wait_live(qtbot, window)
    assert len(keys(refs)) == 3
    assert window.statusBar().currentMessage() == "refs.bib updated."

    actions["Stop Keeping refs.bib Updated"].trigger()
    wait_live(qtbot, window)
    assert autoexport.bindings(window.library) == [] and refs.exists()
    window.undo_stack.undo()  # undoable like any change
    wait_live(qtbot, window)
    assert [b.path for b in autoexport.bindings(window.library)] == [str(refs)]


def test_a_file_made_stale_while_the_app_was_closed_is_updated_on_open(make_window, qtbot, lib_path, tmp_path):
    from papershelf.core.library import Library
    from tests.conftest import SAMPLE_TEXT

    refs = tmp_path / "refs.bib"
    with Library(lib_path) as library:
        library.import_file(SAMPLE_TEXT, listing_date=dt.date(2025, 9, 11))
        library.add_to_list("Thesis", library.search_ids("")[:2], create=True)
        library.run(autoexport.prepare("list", "Thesis", refs, "bibtex"))
    assert not refs.exists()  # bound by an older session that never wrote it
    window = make_window(lib_path)
    qtbot.waitUntil(refs.exists, timeout=10_000)
    wait_live(qtbot, window)
    assert len(keys(refs)) == 2


def test_closing_right_after_a_change_still_updates_the_file(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    window.edits.add_to_list("Thesis", window.table_model.ids[7:8])
    wait_settled(qtbot, window)
    assert window.live_files.pending  # within the second of debounce
    window.close()
    assert len(keys(refs)) == 4


def test_look(imported, qtbot, monkeypatch, tmp_path):
    """Screenshots (PAPERSHELF_SHOTS=folder): the dialog with the box, the sidebar with a failed and a working live file."""
    window = imported
    thesis(window, qtbot)
    window.resize(1100, 700)
    window.export_flow.open_export("list", "Thesis")
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.keep_updated_check.setChecked(True)
    out = Path(os.environ.get("PAPERSHELF_SHOTS", tmp_path))
    dialog.grab().save(str(out / "export-keep-updated.png"))
    dialog.reject()
    folder = tmp_path / "gone"
    folder.mkdir()
    bind_from_dialog(window, qtbot, monkeypatch, folder / "refs.bib")
    (folder / "refs.bib").unlink()
    folder.rmdir()
    window.edits.add_to_list("Thesis", window.table_model.ids[6:7])
    wait_live(qtbot, window)
    wait_sidebar(qtbot, window)
    window.grab().save(str(out / "sidebar-live-file.png"))
    window.edits.add_tags(["cite"], window.table_model.ids[:2])
    wait_settled(qtbot, window)
    window.library.run(autoexport.prepare("tag", "cite", tmp_path / "cite.bib", "biblatex"))
    window.live_files.run_now()
    wait_live(qtbot, window)
    window.sidebar_controller.schedule_refresh()
    wait_sidebar(qtbot, window)
    window.sidebar.grab().save(str(out / "sidebar-ok.png"))


def test_a_saved_search_is_bound_from_the_dialog_and_follows_edits(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    ids = window.table_model.ids[:2]
    window.edits.run(ops.SaveSearch("To cite", "status:reading"))
    window.edits.set_status("reading", ids)
    wait_settled(qtbot, window)
    out = tmp_path / "cite.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    window.export_flow.open_export("saved", "To cite")
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.scope() == ("saved", "To cite") and dialog.keep_updated_check.isEnabled()
    dialog.keep_updated_check.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "kept updated" in window.statusBar().currentMessage(), timeout=10_000)
    wait_live(qtbot, window)
    assert [(b.kind, b.name) for b in autoexport.bindings(window.library)] == [("search", "To cite")]
    assert len(keys(out)) == 2

    window.edits.run(ops.EditFields.of(ids[0], {"title": "Edited in the Entry Editor"}))  # the entry editor's
    wait_live(qtbot, window)
    assert "Edited in the Entry Editor" in out.read_text()
    window.edits.set_status("read", [ids[1]])  # leaves the saved search
    wait_live(qtbot, window)
    assert len(keys(out)) == 1


def test_a_live_file_follows_a_merge_made_in_the_app_and_its_undo(imported, qtbot, monkeypatch, tmp_path):
    window = imported
    ids = thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    old = window.library.get(ids[1]).citation_key
    window.edits.run(ops.MergePapers(ids[0], (ids[1],)))  # what the duplicates dialog runs
    wait_live(qtbot, window)
    assert old not in keys(refs) and len(keys(refs)) == 2
    window.undo_stack.undo()
    wait_live(qtbot, window)
    assert old in keys(refs) and len(keys(refs)) == 3


def test_the_sidebar_entry_names_its_live_file(imported, qtbot, monkeypatch, tmp_path):
    """Review 14.10: the bound file's name is on the entry, not only in its tooltip."""
    window = imported
    thesis(window, qtbot)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    wait_sidebar(qtbot, window)
    index = window.sidebar_model.find(LIST, "Thesis")
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Thesis → refs.bib"
    assert index.data(Qt.ItemDataRole.DecorationRole) is None  # a warning icon only when it fails
    assert window.sidebar_model.key(index) == (LIST, "Thesis")


def test_a_file_bound_to_another_list_is_refused_pointing_to_the_sidebar_menu(imported, qtbot, monkeypatch, tmp_path):
    """Review 14.11: the app's refusal names its own way to free the file, not a CLI command."""
    window = imported
    ids = thesis(window, qtbot)
    window.edits.add_to_list("Other", ids[:1], create=True)
    wait_settled(qtbot, window)
    refs = tmp_path / "refs.bib"
    bind_from_dialog(window, qtbot, monkeypatch, refs)
    said: list[str] = []
    monkeypatch.setattr("papershelf.gui.export_flow.show_error", lambda _parent, text, *a: said.append(text))
    window.export_flow.open_export("list", "Other")
    dialog = window.export_flow.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.keep_updated_check.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert "already kept updated from the reading list 'Thesis'" in said[0]
    assert "right-click the reading list 'Thesis' in the sidebar and choose Stop Keeping refs.bib Updated" in said[0]
    assert "papershelf autoexport" not in said[0]
    assert [b.name for b in autoexport.bindings(window.library)] == ["Thesis"]
