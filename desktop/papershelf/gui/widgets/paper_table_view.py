"""The paper table view: row selection, drag to reading lists, remembered columns.

What the user sees is what the window acts on: every way of moving the
current row also selects it, and the current row is always one of the
selected rows (or there is neither). The window shows the current paper in
the detail pane and applies actions to :meth:`PaperTableView.selected_ids`.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView

from ..models.paper_table import HEADERS, SORT_KEYS, Column, IdRole

DEFAULT_WIDTHS = {
    Column.TITLE: 320,
    Column.FIRST_AUTHOR: 110,
    Column.STATUS: 66,
    Column.PRIORITY: 58,
    Column.TAGS: 100,
    Column.LISTED_ON: 88,
    Column.ADDED_AT: 88,
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

    def __init__(self, parent=None):
        super().__init__(parent)
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

    def setModel(self, model) -> None:
        super().setModel(model)
        self.selectionModel().selectionChanged.connect(self._keep_current_selected)

    def apply_default_widths(self) -> None:
        for column, width in DEFAULT_WIDTHS.items():
            self.setColumnWidth(column, width)
        # The title takes the room the other columns leave.
        self.horizontalHeader().setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)

    def _header_menu(self, pos) -> None:
        """Show or hide columns (the title always stays)."""
        header = self.horizontalHeader()
        menu = QMenu(self)
        for column in Column:
            if column == Column.TITLE:
                continue
            action = menu.addAction(HEADERS[column])
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))
        menu.popup(header.mapToGlobal(pos))

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

    def selectionCommand(self, index: QModelIndex, event: QEvent | None = None) -> QItemSelectionModel.SelectionFlag:
        if self._plain_select:
            return Flag.ClearAndSelect | _ROWS
        if event is not None:
            kind = event.type()
            if kind == QEvent.Type.KeyPress and event.key() in _MOVE_KEYS and event.modifiers() & _CTRL:
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
        for span in selection.selection():
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
        rows = sorted(i.row() for i in selection.selectedRows())
        ids = [model.index(r, 0).data(IdRole) for r in rows]
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
