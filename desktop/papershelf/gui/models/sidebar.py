"""The sidebar tree: library views, reading lists, tags, listings and saved searches.

Each leaf carries the query string its filter stands for (``QueryRole``);
the window combines it with the search field. Reading lists accept dropped
papers (the table's drag payload) and hand them to ``drop_handler``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle

from ...core.display import visible
from .paper_table import MIME_TYPE, ids_from_mime

if TYPE_CHECKING:
    from ...core.autoexport import Binding
    from ...core.library import Library

KindRole = Qt.ItemDataRole.UserRole + 10
ValueRole = Qt.ItemDataRole.UserRole + 11
QueryRole = Qt.ItemDataRole.UserRole + 12
CountRole = Qt.ItemDataRole.UserRole + 13
#: The live files (core.autoexport.Binding) that follow a list, tag or saved search.
LiveRole = Qt.ItemDataRole.UserRole + 14

# Kinds of rows.
SECTION, ALL, STATUS, LIST, TAG, DATE, SAVED = "section", "all", "status", "list", "tag", "date", "saved"
LIBRARY_SECTION, LISTS_SECTION, TAGS_SECTION, DATES_SECTION, SAVED_SECTION = (
    "library",
    "lists",
    "tags",
    "dates",
    "saved",
)
SECTION_TITLES = {
    LIBRARY_SECTION: "Library",
    LISTS_SECTION: "Reading lists",
    TAGS_SECTION: "Tags",
    DATES_SECTION: "Listings",
    SAVED_SECTION: "Saved searches",
}


def quote_value(value: str) -> str:
    """A filter value in the query syntax: quoted when it has spaces or quotes."""
    if value and not any(c.isspace() or c == '"' for c in value):
        return value
    return '"' + value.replace('"', "") + '"'


def date_label(day: dt.date) -> str:
    return day.strftime("%a %d %b %Y")


def literal_tip(*lines: str) -> str:
    """A tooltip showing ``lines`` literally (tooltips guess rich text), hidden characters as marks."""
    return "<qt>" + "<br>".join(html.escape(visible(line)) for line in lines) + "</qt>"


@dataclass
class SidebarData:
    """Everything the sidebar shows, fetched in one go (off the GUI thread)."""

    stats: dict[str, int] = field(default_factory=dict)
    lists: list[tuple[str, int]] = field(default_factory=list)
    tags: list[tuple[str, int]] = field(default_factory=list)
    dates: list[tuple[dt.date, int]] = field(default_factory=list)
    saved: list[tuple[str, str]] = field(default_factory=list)
    #: Live files ("keep updated") by (sidebar kind, casefolded name).
    live: dict[tuple[str, str], list[Binding]] = field(default_factory=dict)


#: The sidebar kind of each kind of live file.
LIVE_SIDEBAR_KINDS = {"list": LIST, "tag": TAG, "search": SAVED}


def load_sidebar(library: Library) -> SidebarData:
    from ...core import autoexport

    live: dict[tuple[str, str], list[Binding]] = {}
    for binding in autoexport.bindings(library):
        live.setdefault((LIVE_SIDEBAR_KINDS[binding.kind], binding.name.casefold()), []).append(binding)
    return SidebarData(
        stats=library.stats(),
        lists=library.lists(),
        tags=library.tags(),
        dates=library.listing_dates(),
        saved=library.saved_searches(),
        live=live,
    )


def live_tip(bindings: list[Binding]) -> list[str]:
    """Tooltip lines for the live files of one entry: where, when last written, and the error if any."""
    lines = []
    for binding in bindings:
        written = f"{binding.written_at:%Y-%m-%d %H:%M}" if binding.written_at else "not yet"
        lines.append(f"Kept updated: {binding.path} ({binding.format}), last written {written}")
        if binding.error:
            lines.append(f"Not updated: {binding.error}")
    return lines


def live_suffix(bindings: list[Binding]) -> str:
    """What the entry's text adds for its live files: `` → refs.bib`` (the full path is in the tooltip)."""
    if not bindings:
        return ""
    return " → " + ", ".join(visible(Path(binding.path).name) for binding in bindings)


def live_icon(bindings: list[Binding]) -> QIcon | None:
    """A warning when a live file could not be written (the file's name is in the entry's text)."""
    if any(binding.error for binding in bindings):
        return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    return None


@dataclass(frozen=True)
class Entry:
    kind: str
    value: str
    label: str
    query: str
    count: int | None = None
    tooltip: str | None = None
    live: tuple[Binding, ...] = ()


class SidebarModel(QStandardItemModel):
    """Two columns: a name and a count. Sections are top-level rows."""

    def __init__(self, parent=None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Name", "Count"])
        #: Called with (list name, paper ids) when papers are dropped on a list.
        self.drop_handler: Callable[[str, list[int]], None] | None = None
        self._sections: dict[str, QStandardItem] = {}
        #: What each section shows, as loaded: a section whose data did not change is not touched.
        self._shown: dict[str, object] = {}
        bold = QFont()
        bold.setBold(True)
        for key in (LIBRARY_SECTION, LISTS_SECTION, TAGS_SECTION, DATES_SECTION, SAVED_SECTION):
            item = QStandardItem(SECTION_TITLES[key])
            item.setData(SECTION, KindRole)
            item.setData(key, ValueRole)
            item.setFont(bold)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setAccessibleText(SECTION_TITLES[key])
            count = QStandardItem("")
            count.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.appendRow([item, count])
            self._sections[key] = item
        self.populate(SidebarData(stats={"all": 0, "unread": 0, "reading": 0, "read": 0}))

    def section(self, key: str) -> QModelIndex:
        return self._sections[key].index()

    def populate(self, data: SidebarData) -> None:
        """Show ``data``; rows whose keys did not change are updated in place.

        A section whose data is what it showed last time is left alone: after
        Space only the status counts move, and a 100k library has hundreds of
        listing dates that would otherwise be rebuilt on the GUI thread.
        """
        shown = self._shown
        live = sorted(data.live.items())
        self._shown = {
            LIBRARY_SECTION: dict(data.stats),
            LISTS_SECTION: (list(data.lists), [entry for entry in live if entry[0][0] == LIST]),
            TAGS_SECTION: (list(data.tags), [entry for entry in live if entry[0][0] == TAG]),
            DATES_SECTION: list(data.dates),
            SAVED_SECTION: (list(data.saved), [entry for entry in live if entry[0][0] == SAVED]),
        }

        def entry(kind: str, name: str, query: str, count: int | None, *tip: str) -> Entry:
            bound = tuple(data.live.get((kind, name.casefold()), ()))
            return Entry(
                kind, name, visible(name), query, count, literal_tip(name, *tip, *live_tip(list(bound))), bound
            )

        same = {key for key, value in self._shown.items() if shown.get(key) == value}
        stats = data.stats
        if LIBRARY_SECTION not in same:
            self._fill_library(stats)
        if LISTS_SECTION not in same:
            self._fill(LISTS_SECTION, [entry(LIST, n, "list:" + quote_value(n), c) for n, c in data.lists])
        if TAGS_SECTION not in same:
            self._fill(TAGS_SECTION, [entry(TAG, n, "tag:" + quote_value(n), c) for n, c in data.tags])
        if DATES_SECTION not in same:
            self._fill(
                DATES_SECTION,
                [Entry(DATE, d.isoformat(), date_label(d), "date:" + d.isoformat(), c) for d, c in data.dates],
            )
        if SAVED_SECTION not in same:
            self._fill(SAVED_SECTION, [entry(SAVED, n, q, None, q) for n, q in data.saved])

    def _fill_library(self, stats: dict[str, int]) -> None:
        self._fill(
            LIBRARY_SECTION,
            [
                Entry(ALL, "all", "All papers", "", stats.get("all", 0)),
                Entry(STATUS, "unread", "Unread", "status:unread", stats.get("unread", 0)),
                Entry(STATUS, "reading", "Reading", "status:reading", stats.get("reading", 0)),
                Entry(STATUS, "read", "Read", "status:read", stats.get("read", 0)),
            ],
        )

    def _fill(self, section_key: str, entries: list[Entry]) -> None:
        section = self._sections[section_key]
        current = [
            (section.child(r).data(KindRole), section.child(r).data(ValueRole)) for r in range(section.rowCount())
        ]
        if current == [(e.kind, e.value) for e in entries]:
            for row, entry in enumerate(entries):
                self._update(section.child(row, 0), section.child(row, 1), entry)
            return
        if section.rowCount():
            section.removeRows(0, section.rowCount())
        for entry in entries:
            name, count = QStandardItem(), QStandardItem()
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if entry.kind == LIST:
                flags |= Qt.ItemFlag.ItemIsDropEnabled
            name.setFlags(flags)
            count.setFlags(flags)
            name.setData(entry.kind, KindRole)
            name.setData(entry.value, ValueRole)
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._update(name, count, entry)
            section.appendRow([name, count])
        # Empty sections look like headings, not like broken rows.
        self.setData(section.index().siblingAtColumn(1), "", Qt.ItemDataRole.DisplayRole)

    @staticmethod
    def _update(name: QStandardItem, count: QStandardItem, entry: Entry) -> None:
        shown = entry.label + live_suffix(list(entry.live))
        if name.text() != shown:
            name.setText(shown)
        name.setData(entry.query, QueryRole)
        name.setData(entry.count, CountRole)
        accessible = entry.label if entry.count is None else f"{entry.label}, {entry.count}"
        if entry.live:
            accessible += ", kept updated in " + ", ".join(Path(b.path).name for b in entry.live)
        name.setAccessibleText(accessible)
        if entry.tooltip:
            name.setToolTip(entry.tooltip)
        name.setData(list(entry.live), LiveRole)
        name.setData(live_icon(list(entry.live)), Qt.ItemDataRole.DecorationRole)
        text = "" if entry.count is None else f"{entry.count:,}"
        if count.text() != text:
            count.setText(text)
        # A palette role, so counts follow the light or dark theme.
        brush = QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if count.foreground() != brush:
            count.setForeground(brush)

    # --- Lookups ----------------------------------------------------------------

    @staticmethod
    def key(index: QModelIndex) -> tuple[str, str] | None:
        if not index.isValid():
            return None
        index = index.siblingAtColumn(0)
        return index.data(KindRole), index.data(ValueRole)

    @staticmethod
    def filter_query(index: QModelIndex) -> str:
        if not index.isValid():
            return ""
        return index.siblingAtColumn(0).data(QueryRole) or ""

    def find(self, kind: str, value: str) -> QModelIndex:
        for section in self._sections.values():
            for row in range(section.rowCount()):
                child = section.child(row)
                if child.data(KindRole) == kind and child.data(ValueRole) == value:
                    return child.index()
        return QModelIndex()

    def names(self, section_key: str) -> list[str]:
        section = self._sections[section_key]
        return [section.child(r).data(ValueRole) for r in range(section.rowCount())]

    # --- Dropping papers on a reading list --------------------------------------

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def _list_at(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> str | None:
        # Only a drop *on* a list row counts, not between rows.
        if row != -1 or not parent.isValid():
            return None
        target = parent.sibling(parent.row(), 0)  # QPersistentModelIndex has no siblingAtColumn()
        if target.data(KindRole) != LIST:
            return None
        return target.data(ValueRole)

    def canDropMimeData(self, data: QMimeData, action, row: int, column: int, parent) -> bool:
        return data.hasFormat(MIME_TYPE) and self._list_at(row, parent) is not None

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent) -> bool:
        name = self._list_at(row, parent)
        ids = ids_from_mime(data)
        if name is None or not ids or self.drop_handler is None:
            return False
        self.drop_handler(name, ids)
        # The table only offers CopyAction, so it never removes the dragged rows.
        return True
