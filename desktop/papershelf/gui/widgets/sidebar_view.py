"""The sidebar tree view: filters, reading lists (drop papers on them), tags, listings."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView


class _HiddenHeader(QHeaderView):
    """The sidebar's header, never shown: its labels (for screen readers) do not widen the counts column."""

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:
        if self.isHidden():
            return QSize(0, 0)
        return super().sectionSizeFromContents(logicalIndex)


class SidebarView(QTreeView):
    #: A context menu was asked for at a global position over this index.
    menuRequested = Signal(QModelIndex, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAccessibleName("Library, reading lists, tags and listings")
        self.setHeader(_HiddenHeader(Qt.Orientation.Horizontal, self))
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        # "Reading group: diffusion models 2026" keeps both its start and its year in a narrow
        # sidebar; the tooltip (the model's) holds the whole name.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.menuRequested.emit(self.indexAt(pos), self.viewport().mapToGlobal(pos))
        )

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is None:
            return
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        # The counts take what their digits need: the names get the room.
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("0"))
        self.expandAll()
        model.rowsInserted.connect(self._expand_new_sections)
        # The width the names need changes with them: the window's splitter asks again (sizeHint).
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.modelReset, model.layoutChanged):
            signal.connect(self.updateGeometry)
        self.expanded.connect(self.updateGeometry)
        self.collapsed.connect(self.updateGeometry)
        self.verticalScrollBar().rangeChanged.connect(self.updateGeometry)

    def sizeHint(self) -> QSize:
        """Wide enough to show every visible name and count whole (names indented as in the tree)."""
        hint = super().sizeHint()
        if self.model() is None:
            return hint
        # sizeHintForColumn(0) counts each row's indentation; the counts column sizes to its contents.
        header = self.header()
        counts = max(self.sizeHintForColumn(1), header.sectionSizeHint(1), header.minimumSectionSize())
        width = self.sizeHintForColumn(0) + counts + 2 * self.frameWidth()
        bar = self.verticalScrollBar()
        if bar.maximum() > bar.minimum():
            width += bar.sizeHint().width()
        return QSize(width, hint.height())

    def _expand_new_sections(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            for row in range(first, last + 1):
                self.expand(self.model().index(row, 0))

    def selected_index(self) -> QModelIndex:
        indexes = self.selectionModel().selectedRows(0) if self.selectionModel() else []
        return indexes[0] if indexes else QModelIndex()
