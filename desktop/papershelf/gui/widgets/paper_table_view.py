"""The paper table view: row selection, drag to reading lists, remembered columns."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
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
                header.setSortIndicator(int(current), Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
            return
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        self.sortRequested.emit(logical, descending)

    def show_sort(self, column: int, descending: bool) -> None:
        self.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)

    # --- Selection helpers --------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Selected paper ids in table order; the current paper if nothing is selected."""
        model = self.model()
        selection = self.selectionModel()
        if model is None or selection is None:
            return []
        rows = sorted(i.row() for i in selection.selectedRows())
        ids = [model.index(r, 0).data(IdRole) for r in rows]
        if not ids and self.currentIndex().isValid():
            ids = [self.currentIndex().siblingAtColumn(0).data(IdRole)]
        return [i for i in ids if i is not None]

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return index.siblingAtColumn(0).data(IdRole) if index.isValid() else None

    def select_row(self, row: int) -> None:
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        index = model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index)

    def move_current(self, delta: int) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        self.select_row(max(0, min(model.rowCount() - 1, row + delta)))
