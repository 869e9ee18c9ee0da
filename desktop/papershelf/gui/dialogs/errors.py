"""Errors as the user sees them: one line, with the details one click away.

Unexpected errors are also written to the app's log (:mod:`papershelf.logs`,
the same crash writer the command line uses), so a bug report can include
them; nothing is printed to stderr.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ... import logs
from ...core.display import visible

_log = logging.getLogger("papershelf.gui")


def log_error(details: str) -> Path | None:
    """Write a traceback to the private log (0600, folder 0700); its path, or None if it cannot be written."""
    return logs.write_crash(details=details, context="the desktop app")


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def show_error(parent: QWidget | None, message: str, details: str | None = None, *, title: str = "Papershelf") -> None:
    """A modal error with a one-line message and a Details button (the message also goes to the log)."""
    _log.warning("error shown: %s", one_line(message))
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setAccessibleName("Error")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    # Messages quote file names, titles and tags: hidden characters show as marks.
    box.setText(visible(one_line(message)))
    if details:
        box.setDetailedText(visible(details, multiline=True))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def report_exception(parent: QWidget | None, exc: BaseException, details: str | None = None) -> None:
    """Show an exception: a user-facing error as is; anything else as a bug, logged."""
    from ...core.errors import PapershelfError

    if isinstance(exc, PapershelfError):
        show_error(parent, str(exc), f"{type(exc).__name__}: {exc}")
        return
    log = logs.write_crash(exc, details=details, context="the desktop app")
    where = f"\n\nThe details were saved in {log}." if log else ""
    show_error(
        parent,
        f"Something went wrong: {type(exc).__name__}: {exc}",
        (details or f"{type(exc).__name__}: {exc}") + where,
    )
