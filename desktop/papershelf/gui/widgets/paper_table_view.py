"""The paper table view: row selection, drag to reading lists, remembered columns.

What the user sees is what the window acts on: every way of moving the
current row also selects it, and the current row is always one of the
selected rows (or there is neither). The window shows the current paper in
the detail pane and applies actions to :meth:`PaperTableView.selected_ids`.

The title takes the width the other columns leave; optional columns that no
loaded paper fills are hidden (never one the user resized or chose in the
header menu); an empty table says why it is empty.
"""

from __future__ import annotations

import json

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QWidget,
)

from ...core.display import visible
from ..models.paper_table import HEADERS, OPTIONAL_COLUMNS, SORT_KEYS, Column, IdRole, PaperTableModel
from .attachments_view import dropped_pdfs
from .title_delegate import TitleDelegate

DEFAULT_WIDTHS = {
    Column.TITLE: 320,
    Column.FIRST_AUTHOR: 110,
    Column.STATUS: 66,
    Column.PRIORITY: 58,
    Column.TAGS: 100,
    Column.LISTED_ON: 88,
    Column.ADDED_AT: 88,
}


#: What an empty search result suggests (Esc in the search field clears it).
EMPTY_SEARCH_HINT = "Clear the search (Esc) or choose another view in the sidebar."
#: At most this much of a query is measured for the empty-table message (the rest is elided anyway).
_MAX_SHOWN_QUERY = 300
#: The title column is never narrower than this many average characters (the table scrolls instead).
TITLE_MIN_CHARS = 20
#: Marks the header state's trailer: which columns the user set and which were hidden automatically.
_STATE_MARK = b"\n#papershelf-columns:"


class PaperHeader(QHeaderView):
    """The table's column header: tells the user's column choices from automatic ones.

    A column the user resized with the mouse, or showed or hid from the header
    menu, is theirs: automatic hiding leaves it alone. Both sets travel with the
    saved header state (a trailer after Qt's own bytes), and a column hidden
    automatically is saved as shown, so it is decided again at the next start.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        #: Columns the user resized or showed/hid (by logical index).
        self.user_set: set[int] = set()
        #: Columns hidden because they were empty (never ones the user set).
        self.auto_hidden: set[int] = set()
        self._pressed = False
        self._fitting = False
        self.sectionResized.connect(self._resized)
        self.sectionCountChanged.connect(lambda _old, _new: self.fit_title())
        self.sectionHandleDoubleClicked.connect(lambda logical: self.user_set.add(logical))

    def mousePressEvent(self, event) -> None:
        self._pressed = True
        try:
            super().mousePressEvent(event)
        finally:
            self._pressed = event.buttons() != Qt.MouseButton.NoButton

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        self._pressed = False

    def _resized(self, logical: int, _old: int, _new: int) -> None:
        if logical == Column.TITLE:
            return  # the title follows the others: not a choice
        # Dragging a divider resizes that column (hiding or showing one resizes it too).
        if self._pressed:
            self.user_set.add(logical)
        self.fit_title()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_title()

    def set_user_hidden(self, logical: int, hidden: bool) -> None:
        """Show or hide a column because the user said so (the header menu)."""
        self.user_set.add(logical)
        self.auto_hidden.discard(logical)
        self.setSectionHidden(logical, hidden)

    def set_auto_hidden(self, logical: int, hidden: bool) -> None:
        """Hide an empty column or show it again, unless the user made it theirs."""
        if logical in self.user_set:
            return
        if hidden and not self.isSectionHidden(logical):
            self.auto_hidden.add(logical)
            self.setSectionHidden(logical, True)
        elif not hidden and logical in self.auto_hidden:
            self.auto_hidden.discard(logical)
            self.setSectionHidden(logical, False)

    def stretch_title(self) -> None:
        """Make the title take the width the other columns leave (see :meth:`fit_title`)."""
        if self.count() > Column.TITLE:
            self.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Fixed)
            self.fit_title()

    def fit_title(self) -> None:
        """Size the title to the room the other columns leave, but never below about 20 characters.

        By hand rather than QHeaderView's Stretch mode: a stretched section does not
        shrink once the others fill the view, so a window made narrow kept a wide
        title and pushed Status out of sight. Below the minimum, the table scrolls.
        """
        if self._fitting or self.count() <= Column.TITLE:
            return
        others = sum(self.sectionSize(c) for c in range(self.count()) if c != Column.TITLE)  # hidden ones are 0
        target = max(self.fontMetrics().averageCharWidth() * TITLE_MIN_CHARS, self.width() - others)
        if self.sectionSize(Column.TITLE) != target:
            self._fitting = True
            try:
                self.resizeSection(Column.TITLE, target)
            finally:
                self._fitting = False

    def saveState(self) -> QByteArray:
        trailer = json.dumps({"user": sorted(self.user_set), "auto": sorted(self.auto_hidden)})
        return QByteArray(bytes(super().saveState().data()) + _STATE_MARK + trailer.encode("ascii"))

    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview) -> bool:
        data = bytes(state.data()) if isinstance(state, QByteArray) else bytes(state)
        qt_state, mark, trailer = data.rpartition(_STATE_MARK)
        if not mark:
            qt_state, trailer = data, b""
        if not super().restoreState(QByteArray(qt_state)):
            return False
        choices = _parse_trailer(trailer)
        self.user_set = {c for c in choices.get("user", []) if 0 <= c < self.count()}
        # Hidden only because they were empty then: decided again from this start's papers.
        self.auto_hidden = set()
        for column in choices.get("auto", []):
            if 0 <= column < self.count() and column not in self.user_set:
                self.setSectionHidden(column, False)
        # The title's width depends on this window's size, not on the one saved.
        self.stretch_title()
        return True


def _parse_trailer(trailer: bytes) -> dict[str, list[int]]:
    """The column choices in a saved header state's trailer; anything malformed is no choices."""
    try:
        value = json.loads(trailer.decode("ascii")) if trailer else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        key: [c for c in value.get(key, []) if isinstance(c, int) and not isinstance(c, bool)]
        for key in ("user", "auto")
        if isinstance(value.get(key), list)
    }


Flag = QItemSelectionModel.SelectionFlag
_ROWS = Flag.Rows
#: Keys that move the current row (Left/Right move along it).
_MOVE_KEYS = frozenset(
    {
        Qt.Key.Key_Up,
        Qt.Key.Key_Down,
        Qt.Key.Key_PageUp,
        Qt.Key.Key_PageDown,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
        Qt.Key.Key_Left,
        Qt.Key.Key_Right,
    }
)
_CTRL = Qt.KeyboardModifier.ControlModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier


class PaperTableView(QTableView):
    #: The user clicked a sortable column header (column, descending).
    sortRequested = Signal(int, bool)
    #: PDF files were dropped on a paper's row: (paper id, paths).
    pdfsDropped = Signal(int, list)
    #: PDF files were dropped below the rows: each goes to the paper its arXiv id or DOI names (paths).
    pdfsDroppedAside = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHorizontalHeader(PaperHeader(self))
        self.setObjectName("paperTable")
        self.setAccessibleName("Papers")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setTabKeyNavigation(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights: the view never measures 100,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.sectionClicked.connect(self._header_clicked)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._plain_select = False
        #: Papers that have a PDF: their title ends in a "PDF" marker (the window keeps it up to date).
        self.pdf_ids: frozenset[int] = frozenset()
        self.setItemDelegateForColumn(Column.TITLE, TitleDelegate(self))
        # PDFs can be dropped on the table (DragOnly turned drops off; other drops go on to the window).
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self._drop_target = -1

    def set_pdf_ids(self, ids: frozenset[int]) -> None:
        if ids != self.pdf_ids:
            self.pdf_ids = ids
            self.viewport().update()

    # --- PDFs dropped on the table ---------------------------------------------------

    def _drop_row(self, event) -> int:
        """The row under the mouse during a drag (-1: none)."""
        return self.indexAt(event.position().toPoint()).row()

    def _set_drop_row(self, row: int) -> None:
        if row != self._drop_target:
            self._drop_target = row
            self.viewport().update()

    def dragEnterEvent(self, event) -> None:
        if dropped_pdfs(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._set_drop_row(self._drop_row(event))
        else:
            event.ignore()  # anything else (a .bib to import) goes on to the window

    def dragMoveEvent(self, event) -> None:
        if dropped_pdfs(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._set_drop_row(self._drop_row(event))
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_drop_row(-1)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self._set_drop_row(-1)
        paths = dropped_pdfs(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        index = self.indexAt(event.position().toPoint())
        paper_id = index.siblingAtColumn(0).data(IdRole) if index.isValid() else None
        if paper_id is not None:
            self.pdfsDropped.emit(paper_id, paths)
        else:
            self.pdfsDroppedAside.emit(paths)

    def _paint_drop_target(self) -> None:
        if self._drop_target < 0 or self.model() is None:
            return
        # The paper a PDF dropped now would go to: a frame around its row.
        first = self.visualRect(self.model().index(self._drop_target, 0))
        if not first.isValid():
            return
        rect = QRect(0, first.top(), self.viewport().width(), first.height()).adjusted(1, 1, -2, -2)
        painter = QPainter(self.viewport())
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
        painter.drawRect(rect)
        painter.end()

    def paper_header(self) -> PaperHeader:
        header = self.horizontalHeader()
        assert isinstance(header, PaperHeader)
        return header

    def setModel(self, model) -> None:
        super().setModel(model)
        self._detach_headers()
        self.selectionModel().selectionChanged.connect(self._keep_current_selected)
        # The title takes the room the other columns leave.
        self.paper_header().stretch_title()
        if isinstance(model, PaperTableModel):
            # Queued: the model finds filled columns while this view paints.
            model.columnsFilled.connect(self.hide_empty_columns, Qt.ConnectionType.QueuedConnection)
            model.modelReset.connect(self._describe_empty)

    def setSelectionModel(self, selectionModel: QItemSelectionModel) -> None:
        super().setSelectionModel(selectionModel)
        self._detach_headers()

    def _detach_headers(self) -> None:
        """Give each header a selection model of its own, always empty.

        Qt's QHeaderView paints every section asking whether its whole column is
        selected (even with section highlighting off), and the answer asks the
        model's flags() for every row: after Select All on 100,000 papers each
        repaint froze the window for seconds. Sections never show a selection
        here, and header clicks never select (rows only), so they need none.
        """
        model = self.model()
        if model is None:
            return
        for header in (self.horizontalHeader(), self.verticalHeader()):
            if header.model() is model and header.selectionModel() is self.selectionModel():
                header.setSelectionModel(QItemSelectionModel(model, header))

    def apply_default_widths(self) -> None:
        for column, width in DEFAULT_WIDTHS.items():
            self.setColumnWidth(column, width)
        self.paper_header().stretch_title()

    def hide_empty_columns(self) -> None:
        """Hide the optional columns no loaded paper fills, and show them again once one does."""
        model = self.model()
        empty = model.empty_columns() if isinstance(model, PaperTableModel) else None
        if empty is None:
            return
        header = self.paper_header()
        for column in OPTIONAL_COLUMNS:
            header.set_auto_hidden(column, column in empty)

    def _header_menu(self, pos) -> None:
        """Show or hide columns (the title always stays)."""
        header = self.paper_header()
        menu = QMenu(self)
        for column in Column:
            if column == Column.TITLE:
                continue
            action = menu.addAction(HEADERS[column])
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda shown, c=column: header.set_user_hidden(c, not shown))
        menu.popup(header.mapToGlobal(pos))

    # --- The empty table ------------------------------------------------------------

    def empty_message(self) -> tuple[str, str] | None:
        """What the table says when it shows no papers: a headline and a hint; None when it has rows.

        The query is the user's (or a listing's) text: it is only ever drawn as plain text.
        """
        model = self.model()
        if not isinstance(model, PaperTableModel) or not model.has_library or model.rowCount():
            return None
        query = model.result_query.strip()
        if query:
            return f"No papers match {visible(query[:_MAX_SHOWN_QUERY])}", EMPTY_SEARCH_HINT
        if model.searching:
            return None  # the first search after opening has not arrived yet
        shortcut = QKeySequence(QKeySequence.StandardKey.Open).toString(QKeySequence.SequenceFormat.NativeText)
        return (
            "No papers in this library yet",
            f"Import a listing or a BibTeX file: File ▸ Import Listing… ({shortcut})",
        )

    def _describe_empty(self) -> None:
        # Painted text is invisible to screen readers: say it in the accessible description too.
        message = self.empty_message()
        self.setAccessibleDescription(" ".join(message) if message else "")

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self._paint_drop_target()
        message = self.empty_message()
        if message is not None:
            self._paint_empty(*message)

    def _paint_empty(self, headline: str, hint: str) -> None:
        viewport = self.viewport()
        area = viewport.rect().adjusted(16, 0, -16, 0)
        if area.width() <= 0:
            return
        painter = QPainter(viewport)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        # One line: a long query is elided in the middle, so both of its ends show.
        metrics = painter.fontMetrics()
        headline = metrics.elidedText(headline, Qt.TextElideMode.ElideMiddle, area.width())
        top = max(area.top() + 8, area.height() // 3 - metrics.height())
        line = QRect(area.left(), top, area.width(), metrics.height())
        painter.drawText(line, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter), headline)
        if hint:
            painter.setFont(self.font())
            below = QRect(area.left(), line.bottom() + 8, area.width(), max(0, area.bottom() - line.bottom() - 8))
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            painter.drawText(below, int(flags), hint)
        painter.end()

    def _header_clicked(self, logical: int) -> None:
        header = self.horizontalHeader()
        model = self.model()
        current = getattr(model, "sort_column", None)
        descending = getattr(model, "descending", False)
        if SORT_KEYS.get(Column(logical)) is None:
            # Not sortable: put the indicator back where the sort really is.
            if current is not None:
                header.setSortIndicator(
                    int(current), Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
                )
            return
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        self.sortRequested.emit(logical, descending)

    def show_sort(self, column: int, descending: bool) -> None:
        self.horizontalHeader().setSortIndicator(
            column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        )

    # --- Keeping the current row and the selection together ----------------------

    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        # A table's Home/End move along the row; in a list of papers they mean the first and last paper.
        if action in (QAbstractItemView.CursorAction.MoveHome, QAbstractItemView.CursorAction.MoveEnd):
            modifiers |= _CTRL
        return super().moveCursor(action, modifiers)

    def selectionCommand(
        self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        if self._plain_select:
            return Flag.ClearAndSelect | _ROWS
        if event is not None:
            kind = event.type()
            if (
                isinstance(event, QKeyEvent)
                and kind == QEvent.Type.KeyPress
                and event.key() in _MOVE_KEYS
                and event.modifiers() & _CTRL
            ):
                # Qt moves the current row *without selecting it* on Ctrl+key: the
                # detail pane would show one paper while Space marked another.
                return (Flag.SelectCurrent if event.modifiers() & _SHIFT else Flag.ClearAndSelect) | _ROWS
            if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease) and not index.isValid():
                return Flag.NoUpdate  # a click below the last row keeps the selection
        return super().selectionCommand(index, event)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        # Qt makes the first row current, *without selecting it*, when the table gets the focus
        # after a new search: the detail pane showed that paper while Space acted on nothing and
        # the first J skipped it. Select it, as any other move of the current row does.
        selection = self.selectionModel()
        current = self.currentIndex()
        if current.isValid() and selection is not None and not selection.hasSelection():
            self.select_row(current.row())

    def _keep_current_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        """After Ctrl+click or Ctrl+Space deselected the current row, make a selected row current.

        With nothing selected there is no current row either, so no action can
        reach a paper that is not highlighted.
        """
        selection = self.selectionModel()
        current = self.currentIndex()
        if not selection.hasSelection():
            if current.isValid():
                selection.setCurrentIndex(QModelIndex(), Flag.NoUpdate)
            return
        if current.isValid() and selection.isSelected(current):
            return
        row = current.row() if current.isValid() else 0
        nearest = None
        # A sequence through __getitem__: PySide6 defines no __iter__, so its stub has none either.
        for span in selection.selection():  # type: ignore[attr-defined]
            candidate = min(max(row, span.top()), span.bottom())
            if nearest is None or abs(candidate - row) < abs(nearest - row):
                nearest = candidate
        if nearest is not None:
            column = current.column() if current.isValid() else 0
            selection.setCurrentIndex(self.model().index(nearest, column), Flag.NoUpdate)

    # --- Selection helpers --------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The highlighted papers' ids, in table order (the current paper is one of them)."""
        model = self.model()
        selection = self.selectionModel()
        if model is None or selection is None:
            return []
        # By row ranges, never index by index: Qt's selectedRows() asks flags() of every
        # selected cell, which froze the window for seconds after Select All on 100,000 papers.
        spans = sorted((span.top(), span.bottom()) for span in selection.selection())  # type: ignore[attr-defined]
        merged: list[tuple[int, int]] = []
        for top, bottom in spans:  # ranges of several columns may cover the same rows
            if merged and top <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], bottom))
            else:
                merged.append((top, bottom))
        if isinstance(model, PaperTableModel):
            all_ids = model.ids
            return [pid for top, bottom in merged for pid in all_ids[max(top, 0) : bottom + 1]]
        ids = [model.index(r, 0).data(IdRole) for top, bottom in merged for r in range(top, bottom + 1)]
        return [i for i in ids if i is not None]

    def has_selection(self) -> bool:
        """Whether any paper is highlighted (cheap, whatever the size of the selection)."""
        selection = self.selectionModel()
        return selection is not None and selection.hasSelection()

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return index.siblingAtColumn(0).data(IdRole) if index.isValid() else None

    def select_row(self, row: int) -> None:
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        current = self.currentIndex()
        index = model.index(row, current.column() if current.isValid() else 0)
        # Through the view, so a following Shift+click or Shift+Down extends from this row.
        self._plain_select = True
        try:
            self.setCurrentIndex(index)
        finally:
            self._plain_select = False
        self.scrollTo(index)

    def move_current(self, delta: int) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        self.select_row(max(0, min(model.rowCount() - 1, row + delta)))
