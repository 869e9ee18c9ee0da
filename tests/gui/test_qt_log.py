"""Qt's own messages reach the app's log, and still reach the handler that was there before."""

from __future__ import annotations

from PySide6.QtCore import qInfo, qInstallMessageHandler

from papershelf import logs
from papershelf.gui.app import install_qt_log_handler


def test_qt_messages_go_to_the_log_and_on_to_the_previous_handler(qapp, qtlog):
    log_file = logs.setup()
    previous = install_qt_log_handler()
    try:
        qInfo("a message from Qt about fonts")
    finally:
        qInstallMessageHandler(previous)  # pytest-qt's own, which fails tests on Qt warnings
    assert "INFO papershelf.qt: a message from Qt about fonts" in log_file.read_text(encoding="utf-8")
    assert [r.message for r in qtlog.records] == ["a message from Qt about fonts"]
