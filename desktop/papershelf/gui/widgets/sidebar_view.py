"""The sidebar tree view: filters, reading lists (drop papers on them), tags, listings."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView

from ..models.sidebar import SidebarModel


class SidebarView(QTreeView):
    #: A context menu was asked for at a global position over this index.
    menuRequested = Signal(QModelIndex, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAccessibleName("Library, reading lists, tags and listings")
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

    def setModel(self, model: SidebarModel) -> None:
        super().setModel(model)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.expandAll()
        model.rowsInserted.connect(self._expand_new_sections)

    def _expand_new_sections(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            for row in range(first, last + 1):
                self.expand(self.model().index(row, 0))

    def selected_index(self) -> QModelIndex:
        indexes = self.selectionModel().selectedRows(0) if self.selectionModel() else []
        return indexes[0] if indexes else QModelIndex()
