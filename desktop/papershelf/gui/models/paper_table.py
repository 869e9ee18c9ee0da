"""The paper table: a model that holds only row ids and fetches visible rows lazily.

Searching and sorting happen in SQL (:meth:`Library.search_ids`), on the
"search" worker thread; the model keeps the resulting id list and asks the
library for the columns of a page of rows (:meth:`Library.rows`) when the
view first paints one of them. A small LRU of pages keeps scrolling cheap and
memory flat, whatever the size of the library.
"""

from __future__ import annotations

import html
import json
from collections import OrderedDict
from collections.abc import Iterable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont

from ...core.display import visible
from .. import workers

if TYPE_CHECKING:
    from ...core.library import Library
    from ...core.records import PaperRow

SortRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2

#: Drag payload: a JSON array of paper ids.
MIME_TYPE = "application/x-papershelf-paper-ids"

PRIORITY_LABELS = {0: "", 1: "★", 2: "★★", 3: "★★★"}
STATUS_LABELS = {"unread": "Unread", "reading": "Reading", "read": "Read"}


class Column(IntEnum):
    TITLE = 0
    FIRST_AUTHOR = 1
    STATUS = 2
    PRIORITY = 3
    TAGS = 4
    LISTED_ON = 5
    ADDED_AT = 6


HEADERS = {
    Column.TITLE: "Title",
    Column.FIRST_AUTHOR: "First author",
    Column.STATUS: "Status",
    Column.PRIORITY: "Priority",
    Column.TAGS: "Tags",
    Column.LISTED_ON: "Listing date",
    Column.ADDED_AT: "Date added",
}

# Plain ints for data(), the model's hottest path.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_SORT_ROLE = int(SortRole)
_ID_ROLE = int(IdRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FONT, _ALIGN, _ACCESSIBLE, _SORT_ROLE})
_TITLE = int(Column.TITLE)
_PRIORITY = int(Column.PRIORITY)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)

#: The SQL sort of each column; tags cannot be sorted.
SORT_KEYS: dict[Column, str | None] = {
    Column.TITLE: "title",
    Column.FIRST_AUTHOR: "first_author",
    Column.STATUS: "status",
    Column.PRIORITY: "priority",
    Column.TAGS: None,
    Column.LISTED_ON: "listed_on",
    # Ids grow with the time a paper was added, and the id order needs no
    # row lookups: at 100,000 papers it is several times faster.
    Column.ADDED_AT: "id",
}

#: Columns filled from the imported source, which often leaves them empty for every paper (listings
#: name no authors; a .bib file has no listing date). The view hides them while no loaded row has a
#: value. Status, priority and tags always stay: the triage keys fill them.
OPTIONAL_COLUMNS = (Column.FIRST_AUTHOR, Column.LISTED_ON)

#: Above this many rows in the last result, a search first fetches one page
#: (shown at once), then the whole id list.
FIRST_PAGE_THRESHOLD = 1000

#: What every cell of the table allows.
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

#: How long typing must pause before the whole id list of a search is fetched.
FULL_LIST_DELAY_MS = 120


def ids_to_mime(ids: list[int]) -> QMimeData:
    data = QMimeData()
    data.setData(MIME_TYPE, json.dumps(ids).encode("ascii"))
    return data


def ids_from_mime(data: QMimeData) -> list[int]:
    """The paper ids in a drag payload; anything malformed gives no ids."""
    if not data.hasFormat(MIME_TYPE):
        return []
    try:
        value = json.loads(bytes(data.data(MIME_TYPE).data()).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


class PaperTableModel(QAbstractTableModel):
    """Papers matching the current query, in SQL order, as a list of ids."""

    PAGE = 200
    MAX_PAGES = 16

    #: A search finished and the model shows its results (the hit count).
    searchFinished = Signal(int)
    #: The first page of a large result is shown; the rest is on its way.
    searchPartial = Signal(int)
    #: A search failed; the message is one line for the status bar.
    searchFailed = Signal(str)
    #: A search failed unexpectedly (exception, traceback).
    searchCrashed = Signal(object, str)
    #: Rows were loaded that fill an optional column for the first time (see :meth:`empty_columns`).
    #: Emitted while the view paints: connect it queued.
    columnsFilled = Signal()

    def __init__(self, library: Library | None = None, parent=None):
        super().__init__(parent)
        self._library = library
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._pages: OrderedDict[int, dict[int, PaperRow]] = OrderedDict()
        self._text_cache: dict[int, tuple[PaperRow, tuple[str, ...]]] = {}
        self._query = ""
        self._result_query = ""
        #: Optional columns some loaded row has a value in; None until a row was loaded.
        self._filled: set[Column] | None = None
        self._sort_column = Column.ADDED_AT
        self._descending = True
        self._generation = 0
        self._pending = False
        #: Papers in the whole library (the window keeps it up to date).
        self.library_size = 0
        self._bold = QFont()
        self._bold.setBold(True)
        self._full_timer = QTimer(self)
        self._full_timer.setSingleShot(True)
        self._full_timer.setInterval(FULL_LIST_DELAY_MS)
        self._full_timer.timeout.connect(lambda: self._start_full_search())

    # --- State ------------------------------------------------------------------

    def set_library(self, library: Library | None) -> None:
        self._library = library
        self._result_query = ""
        self._filled = None
        self.set_ids([])

    @property
    def has_library(self) -> bool:
        return self._library is not None

    @property
    def query(self) -> str:
        return self._query

    @property
    def result_query(self) -> str:
        """The query of the rows shown (``query`` may be newer while its search runs)."""
        return self._result_query

    def empty_columns(self) -> frozenset[Column] | None:
        """The optional columns no row loaded since the library was opened has a value in.

        None while no row was loaded, so nothing is decided on no evidence. The set only
        shrinks (until another library is opened): a column does not come and go while
        the user types a search.
        """
        if self._filled is None:
            return None
        return frozenset(c for c in OPTIONAL_COLUMNS if c not in self._filled)

    def _note_filled(self, rows: Iterable[PaperRow]) -> None:
        first = self._filled is None
        filled = self._filled if self._filled is not None else set()
        before = len(filled)
        for row in rows:
            if Column.FIRST_AUTHOR not in filled and row.first_author:
                filled.add(Column.FIRST_AUTHOR)
            if Column.LISTED_ON not in filled and row.listed_on is not None:
                filled.add(Column.LISTED_ON)
        self._filled = filled
        if first or len(filled) != before:
            self.columnsFilled.emit()

    @property
    def sort_column(self) -> Column:
        return self._sort_column

    def _sort_key(self) -> str:
        key = SORT_KEYS[self._sort_column]
        assert key is not None, "set_sort keeps to the sortable columns"
        return key

    @property
    def descending(self) -> bool:
        return self._descending

    @property
    def ids(self) -> list[int]:
        return self._ids

    @property
    def searching(self) -> bool:
        """A search was asked for and its result has not arrived yet."""
        return self._pending

    def set_ids(self, ids: list[int]) -> None:
        """Show exactly these papers (synchronously), in this order."""
        self.beginResetModel()
        self._ids = list(ids)
        self._row_of = None
        self._pages.clear()
        self._text_cache.clear()
        self.endResetModel()

    def paper_id(self, row: int) -> int | None:
        if 0 <= row < len(self._ids):
            return self._ids[row]
        return None

    def row_of(self, paper_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {pid: row for row, pid in enumerate(self._ids)}
        return self._row_of.get(paper_id)

    def cached_row(self, paper_id: int) -> PaperRow | None:
        row = self.row_of(paper_id)
        return self._row(row) if row is not None else None

    def invalidate(self, ids: list[int] | None = None) -> None:
        """Fetch these rows again (all rows if ``ids`` is None) and repaint them."""
        if not self._ids:
            return
        if ids is None:
            self._pages.clear()
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))
            return
        rows = [r for r in (self.row_of(i) for i in ids) if r is not None]
        for page in {r // self.PAGE for r in rows}:
            self._pages.pop(page, None)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(Column) - 1))

    # --- Searching --------------------------------------------------------------

    def set_query(self, query: str, *, now: bool = False) -> None:
        self._query = query
        if now:
            self.refresh_now()
        else:
            self.refresh(typing=True)

    def set_sort(self, column: Column, descending: bool, *, refresh: bool = True) -> None:
        if SORT_KEYS.get(Column(column)) is None:
            return
        self._sort_column = Column(column)
        self._descending = descending
        if refresh:
            self.refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.set_sort(Column(column), order == Qt.SortOrder.DescendingOrder)

    def refresh(self, *, typing: bool = False) -> None:
        """Run the current query again; the newest request wins.

        In a big library the first page comes from SQL right here (the core
        serves it from the index in about a millisecond, whatever the number
        of matches), so the table follows each keystroke at once. The whole
        id list, which only the scroll bar and the hit count need, is fetched
        on the search thread: right away, or when ``typing``, once typing
        pauses for :data:`FULL_LIST_DELAY_MS` (a keystroke before then cancels
        it, so a burst of typing never queues stale full searches that compete
        with the next page).
        """
        if self._library is None:
            return
        self._generation += 1
        generation = self._generation
        self._pending = True
        library, query = self._library, self._query
        sort, descending = self._sort_key(), self._descending

        if max(len(self._ids), self.library_size) > FIRST_PAGE_THRESHOLD:
            try:
                page = library.search_ids(query, sort=sort, descending=descending, limit=self.PAGE)
            except Exception as exc:
                import traceback

                self._search_failed(generation, exc, traceback.format_exc())
                return
            self._search_partial(generation, page)
            if len(page) < self.PAGE:
                self._full_timer.stop()
                self._search_done(generation, page)  # that was all of it
                return
            if typing:
                self._full_timer.start()
                return
        self._full_timer.stop()
        self._start_full_search(generation)

    def _start_full_search(self, generation: int | None = None) -> None:
        generation = self._generation if generation is None else generation
        if generation != self._generation or self._library is None:
            return
        library, query = self._library, self._query
        sort, descending = self._sort_key(), self._descending

        def search():
            # A newer request makes this one stale: skip it if it has not run yet.
            if generation != self._generation:
                return ()
            return library.search_ids(query, sort=sort, descending=descending)

        task = workers.Task(search)
        task.succeeded.connect(lambda ids: self._search_done(generation, ids))
        task.failed.connect(lambda exc, details: self._search_failed(generation, exc, details))
        task.start("search")

    def refresh_now(self) -> None:
        """Run the current query on this thread (tests, and right after opening)."""
        if self._library is None:
            return
        self._generation += 1
        sort = self._sort_key()
        try:
            ids = self._library.search_ids(self._query, sort=sort, descending=self._descending)
        except Exception as exc:
            import traceback

            self._search_failed(self._generation, exc, traceback.format_exc())
            return
        self._search_done(self._generation, ids)

    def _search_partial(self, generation: int, ids: list[int]) -> None:
        if generation != self._generation or not self._pending:
            return
        self.set_ids(ids)
        self.searchPartial.emit(len(ids))

    def _search_done(self, generation: int, ids) -> None:
        if generation != self._generation:
            return
        self._pending = False
        self._result_query = self._query
        self.set_ids(ids)
        self.searchFinished.emit(len(ids))

    def _search_failed(self, generation: int, exc: BaseException, details: str) -> None:
        if generation != self._generation:
            return
        self._pending = False
        from ...core.errors import PapershelfError

        if isinstance(exc, PapershelfError):
            self.searchFailed.emit(str(exc))
        else:
            self.searchCrashed.emit(exc, details)

    # --- Qt model ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def _row(self, row: int) -> PaperRow | None:
        page = row // self.PAGE
        rows = self._pages.get(page)
        if rows is None:
            ids = self._ids[page * self.PAGE : (page + 1) * self.PAGE]
            try:
                rows = self._library.rows(ids) if self._library is not None else {}
            except Exception as exc:
                from ...core.live import is_disconnect

                if not is_disconnect(exc):
                    raise
                # A shared library's server is away: these rows show blank until it is back, when the window
                # reads everything again (gui/live_updates.py); not kept, so the next repaint tries again.
                return None
            self._pages[page] = rows
            if rows:
                self._note_filled(rows.values())
            while len(self._pages) > self.MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(self._ids[row])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called about a thousand times per repaint: plain ints, no enum
        # conversions, and each row's texts computed once per page load.
        row_number = index.row()
        if not 0 <= row_number < len(self._ids):
            return None
        role = int(role)
        if role == _ID_ROLE:
            return self._ids[row_number]
        if role not in _ROLES:
            return None
        row = self._row(row_number)
        if row is None:  # deleted meanwhile (another window)
            return None
        column = index.column()
        if role == _DISPLAY:
            return self._texts(row)[column]
        if role == _FONT:
            return self._bold if column == _TITLE and row.status == "unread" else None
        if role == _ALIGN:
            return _CENTER if column == _PRIORITY else None
        if role == _SORT_ROLE:
            return self._sort_value(row, Column(column))
        if role == _TOOLTIP:
            text = visible(row.title) if column == _TITLE else ""
            # Tooltips guess rich text: escape, and say so, so a title shows literally.
            return "<qt>" + html.escape(text) + "</qt>" if text else None
        if column == _PRIORITY:  # accessible text
            return f"priority {row.priority}" if row.priority else "no priority"
        return self._texts(row)[column]

    def _texts(self, row: PaperRow) -> tuple[str, ...]:
        texts = self._text_cache.get(row.id)
        if texts is None or texts[0] is not row:
            texts = (row, tuple(self._display(row, c) for c in Column))
            self._text_cache[row.id] = texts
            if len(self._text_cache) > self.PAGE * self.MAX_PAGES:
                self._text_cache.clear()
        return texts[1]

    @staticmethod
    def _display(row: PaperRow, column: Column) -> str:
        # Imported text: control and bidi characters are shown as marks, never acted on.
        if column == Column.TITLE:
            return visible(row.title)
        if column == Column.FIRST_AUTHOR:
            return visible(row.first_author)
        if column == Column.STATUS:
            return STATUS_LABELS.get(row.status, row.status)
        if column == Column.PRIORITY:
            return PRIORITY_LABELS.get(row.priority, str(row.priority))
        if column == Column.TAGS:
            return visible(row.tags)
        if column == Column.LISTED_ON:
            return row.listed_on.isoformat() if row.listed_on else ""
        if column == Column.ADDED_AT:
            return row.added_at.strftime("%Y-%m-%d") if row.added_at else ""
        return ""

    @staticmethod
    def _sort_value(row: PaperRow, column: Column) -> Any:
        return {
            Column.TITLE: row.title.casefold(),
            Column.FIRST_AUTHOR: row.first_author.casefold(),
            Column.STATUS: row.status,
            Column.PRIORITY: row.priority,
            Column.TAGS: row.tags,
            Column.LISTED_ON: row.listed_on.isoformat() if row.listed_on else "",
            Column.ADDED_AT: row.added_at.isoformat() if row.added_at else "",
        }[column]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[Column(section)]
            if role == Qt.ItemDataRole.ToolTipRole and SORT_KEYS[Column(section)] is None:
                return "This column cannot be sorted"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Asked for every cell at every repaint: one value made once (an enum "|" costs microseconds each).
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return ids_to_mime([self._ids[r] for r in rows if 0 <= r < len(self._ids)])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
