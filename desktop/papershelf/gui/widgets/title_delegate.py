"""The paper table's title cell: a small "PDF" marker at its right end for a paper that has a PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..models.paper_table import IdRole

if TYPE_CHECKING:
    from .paper_table_view import PaperTableView


#: The marker drawn at the end of the title of a paper with a PDF.
PDF_MARK = "PDF"


class TitleDelegate(QStyledItemDelegate):
    """The title cell, with a small "PDF" marker at its right end for papers that have one."""

    def __init__(self, view: PaperTableView):
        super().__init__(view)
        self._view = view

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        paper_id = index.data(IdRole)
        if paper_id not in self._view.pdf_ids:
            super().paint(painter, option, index)
            return
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
        small.setBold(True)
        metrics = QFontMetrics(small)
        rect = QRect(option.rect)
        mark_width = metrics.horizontalAdvance(PDF_MARK) + 8
        text_option = QStyleOptionViewItem(option)
        text_option.rect = rect.adjusted(0, 0, -(mark_width + 4), 0)
        super().paint(painter, text_option, index)
        box = QRect(rect.right() - mark_width - 2, rect.top() + 3, mark_width, rect.height() - 6)
        painter.save()
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(colour)
        painter.setFont(small)
        painter.drawRoundedRect(box, 3, 3)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), PDF_MARK)
        painter.restore()
