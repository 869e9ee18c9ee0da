"""The window's layout between launches: its size, toolbar, splitters, table columns and sort, kept in Settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

if TYPE_CHECKING:
    from .main_window import MainWindow

DEFAULT_SIZE = (1400, 850)
DEFAULT_SPLITTER = [190, 830, 380]


def restore(window: MainWindow) -> None:
    """Lay the window out as it was at the last close; the defaults where nothing usable was kept."""
    s = window.settings
    if s.window_geometry is not None:
        window.restoreGeometry(s.window_geometry)
    else:
        width, height = DEFAULT_SIZE
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            available = screen.availableGeometry()
            if available.width() >= 1000:  # tiny (virtual) screens get the default size anyway
                width = min(width, int(available.width() * 0.92))
                height = min(height, int(available.height() * 0.92))
        window.resize(width, height)
    if s.window_state is not None:
        window.restoreState(s.window_state)
    if s.detail_splitter is not None:
        window.detail.page.restoreState(s.detail_splitter)
    if not (s.window_splitter is not None and window.splitter.restoreState(s.window_splitter)):
        window.splitter.set_default_sizes(DEFAULT_SPLITTER)
    if not (s.table_header is not None and window.table.horizontalHeader().restoreState(s.table_header)):
        window.table.apply_default_widths()
    # Only a sort the user chose is kept: the header state of older versions holds the default.
    window.paper_view.restore_sort()


def save(window: MainWindow) -> None:
    """Keep the window's size, splitters, columns and sort for the next launch."""
    s = window.settings
    s.window_geometry = window.saveGeometry()
    s.window_state = window.saveState()
    s.window_splitter = window.splitter.saveState()
    s.detail_splitter = window.detail.page.saveState()
    s.table_header = window.table.horizontalHeader().saveState()
    window.paper_view.save_sort()
    s.sync()
