"""Start the desktop app: QApplication, icon, error hook, the main window.

Start-up is kept cheap: only Qt and the GUI modules load before the window
first paints; SQLAlchemy and the core load on a worker thread while the
library opens (:meth:`MainWindow.open_library_later`). Nothing here reads
the whole library.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QSize, QtMsgType, qInstallMessageHandler, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import logs, paths
from .main_window import MainWindow

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
DESKTOP_FILE = "papershelf"


def app_icon() -> QIcon:
    """The application icon from ``resources/icons`` (PNGs at each size, SVG as a fallback)."""
    folder = paths.resources_dir() / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        png = folder / f"papershelf-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    svg = folder / "papershelf.svg"
    if icon.isNull() and svg.is_file():
        icon.addFile(str(svg))
    return icon


def ensure_app() -> QApplication:
    """The one QApplication (made here if there is none yet), with the app's names and icon."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Papershelf")
    app.setOrganizationName("Papershelf")
    app.setDesktopFileName(DESKTOP_FILE)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def create_window(library_path: str | Path | None = None, *, deferred: bool = False) -> MainWindow:
    """A main window on ``library_path`` (default: the usual library).

    With ``deferred`` the library opens on a worker after the first paint
    (what :func:`main` does; wait for ``window.libraryOpened``); otherwise it
    is open, with the first results shown, when this returns. If it cannot be
    opened and the user gives up, the window has no library.
    """
    app = ensure_app()
    window = MainWindow(icon=app.windowIcon())
    path = paths.library_path(library_path)
    if deferred:
        window.open_library_later(path)
    else:
        window.open_library(path)
    return window


#: Qt's message types as logging levels (a Qt "fatal" aborts the process right after the handler).
QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def install_qt_log_handler() -> Callable[[QtMsgType, QMessageLogContext, str], None] | None:
    """Send Qt's own messages (warnings about fonts, platform plugins, …) to the log as ``papershelf.qt``.

    Each message also goes where it went before (the handler this replaces,
    or stderr as Qt's default), so a terminal shows what it always showed.
    Returns the replaced handler (None: Qt's default).
    """
    log = logging.getLogger("papershelf.qt")
    previous = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category if context.category and context.category != "default" else ""
        log.log(QT_LEVELS.get(mode, logging.WARNING), "%s%s", f"{category}: " if category else "", message)
        if previous is not None:
            previous(mode, context, message)
        elif sys.stderr is not None:  # None in a windowed frozen build
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    return previous


def install_excepthook(parent_getter=lambda: None) -> None:
    """Unexpected errors: written to the log by the crash writer and shown in a dialog, never printed."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            from .dialogs.errors import report_exception

            parent = parent_getter()
            if isinstance(parent, MainWindow):
                parent.report_error(exc, details)  # a lost shared library's server is a status line, not a dialog
            else:
                report_exception(parent, exc, details)
        except Exception:
            from .dialogs.errors import log_error

            log_error(details)

    sys.excepthook = hook


def main(library_path: str | Path | None = None, files: list[str | Path] | None = None) -> int:
    """Run the app on ``library_path`` (None: the default library); the exit status.

    ``files`` (e.g. from the desktop file's ``%F``) are imported, each through
    its preview, once the library is open.
    """
    logs.setup()
    from ..core.errors import LibraryError

    try:
        location = paths.library_path(library_path)
    except LibraryError as exc:  # a mistyped shared-library URL: one line, no window, no file made
        print(f"papershelf: error: {exc}", file=sys.stderr)
        return 2
    app = ensure_app()
    # Here, not in ensure_app(): under pytest-qt its own handler must keep failing tests on Qt warnings.
    install_qt_log_handler()
    logging.getLogger("papershelf.gui").info("desktop app started (Qt %s)", qVersion())
    window = MainWindow(icon=app.windowIcon())
    install_excepthook(lambda: window if window.isVisible() else None)
    window.quitRequested.connect(lambda code: (window.close(), app.exit(code)))
    if files:
        window.libraryOpened.connect(lambda: window.import_flow.import_paths([Path(f) for f in files]))
    window.open_library_later(location)
    window.show()
    return app.exec()
