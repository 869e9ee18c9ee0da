"""GUI test helpers: windows on temporary libraries, patched modal dialogs, import driving."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ..conftest import FIXTURES, SAMPLE_JSON, SAMPLE_TEXT  # noqa: F401  (used by GUI tests)

# The offscreen platform plugin warns about every top-level window with a
# layout and every popup menu; those are the plugin's limits, not the app's.
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the (keyboard|mouse))$"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


class Dialogs:
    """Message boxes shown during a test. Unexpected ones fail the test."""

    def __init__(self):
        self.shown: list[tuple[str, str, str]] = []
        #: Text of the button to click in the next custom message box (None: the default).
        self.click: str | None = None
        #: What QMessageBox.question returns.
        self.question = QMessageBox.StandardButton.Cancel
        self.questions: list[str] = []

    def take(self) -> list[tuple[str, str, str]]:
        shown, self.shown = self.shown, []
        return shown


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    record = Dialogs()

    def fake_exec(box):
        record.shown.append((box.text(), box.informativeText(), box.detailedText()))
        if record.click is not None:
            for button in box.buttons():
                if button.text() == record.click:
                    button.click()
                    break
            record.click = None
        return QMessageBox.StandardButton.Ok

    def fake_question(parent, title, text, *args, **kwargs):
        record.questions.append(text)
        return record.question

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(fake_question))
    yield record
    assert not record.shown, f"unexpected message boxes: {record.shown}"


@pytest.fixture
def sample(sample_text) -> Path:
    """The sample listing copied to a temporary folder (tests/conftest.py)."""
    return sample_text


@pytest.fixture
def sample_json_file(sample_json) -> Path:
    return sample_json


@pytest.fixture
def lib_path(tmp_path) -> Path:
    return tmp_path / "lib" / "library.sqlite3"


@pytest.fixture
def make_window(qtbot, lib_path):
    """Open a main window on a library (default: a fresh temporary one), shown and active."""
    from papershelf.gui.app import create_window

    def make(path: Path | None = None):
        window = create_window(path or lib_path)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


def wait_search(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.table_model.searching, timeout=5000)


def wait_sidebar(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.sidebar_controller.refreshing, timeout=5000)


def import_through_preview(qtbot, window, path: Path, *, expect_new: int | None = None) -> None:
    """Import ``path`` the way a user does: the preview opens, they click Import."""
    window.import_flow.import_paths([path])
    preview = wait_preview(qtbot, window)
    if expect_new is not None:
        assert preview.new_label.text() == f"{expect_new:,}"
    qtbot.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.import_flow.busy, timeout=10000)
    wait_search(qtbot, window)


def wait_preview(qtbot, window):
    qtbot.waitUntil(
        lambda: window.import_flow.preview is not None and window.import_flow.preview.isVisible(), timeout=10000
    )
    return window.import_flow.preview


@pytest.fixture
def imported(window, qtbot, sample):
    """A window whose library holds the 49 papers of the sample listing, triage-ready."""
    import_through_preview(qtbot, window, sample, expect_new=49)
    return window


def wait_settled(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until every change the window queued has landed and been reported back to the window."""
    qtbot.waitUntil(lambda: window.runner.settled, timeout=timeout)


def focus_table(qtbot, window) -> None:
    window.activateWindow()
    window.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)


@pytest.fixture
def papers(make_window, qtbot, sample_json_file):
    """A window on the two papers of the API sample (they have arXiv ids), the first one current."""
    window = make_window()
    import_through_preview(qtbot, window, sample_json_file)
    focus_table(qtbot, window)
    return window


@pytest.fixture
def opened(monkeypatch):
    """What the app handed to the operating system to open (QDesktopServices.openUrl; nothing is opened)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    urls: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: urls.append(QUrl(url)) or True))
    return urls
