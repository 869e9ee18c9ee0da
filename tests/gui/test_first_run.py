from PySide6.QtCore import Qt

from .conftest import wait_search


def test_import_sample_from_welcome_panel(window, qtbot, sample, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    assert window.center.currentWidget() is window.welcome
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(sample)], "")))
    button = window.findChild(type(window.welcome.import_button), "importButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.import_flow.preview is not None and window.import_flow.preview.isVisible())
    preview = window.import_flow.preview
    assert preview.new_label.text() == "49"
    assert preview.existing_label.text() == "0"
    assert window.library.count() == 0  # the preview wrote nothing
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    wait_search(qtbot, window)
    assert window.library.count() == 49
    assert window.table_model.rowCount() == 49
    assert window.center.currentWidget() is window.table_page
    assert window.table.current_id() is not None


def test_an_empty_file_is_adopted_only_after_asking(make_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    empty = tmp_path / "other.sqlite3"
    empty.touch()
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    window = make_window(empty)
    qtbot.waitUntil(lambda: window.library is not None, timeout=10000)
    assert len(asked) == 1 and "empty file" in asked[0]
    assert window.library.count() == 0 and empty.stat().st_size > 0
