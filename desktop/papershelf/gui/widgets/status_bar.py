"""The window's status bar: a message longer than the room beside the permanent widgets ends in "…" (its whole text
in the tooltip), and a gap keeps it apart from them (Qt cuts it mid-word, 2 pixels from the paper count)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizeGrip, QStatusBar, QStyle, QStyleOption, QToolTip, QWidget

from .labels import literal_html

#: Pixels between the message and the first permanent widget (the paper count, the PDF progress).
GAP = 16
#: A tooltip shows at most this much of a message (messages are one line, and bounded where they are made).
TIP_CHARS = 2000


class StatusBar(QStatusBar):
    """QStatusBar whose temporary message is elided to fit, with the whole message as its tooltip."""

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left edge to :data:`GAP` before the first visible permanent widget
        (the other way round right to left)."""
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        left, right = 6, self.width() - 12
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if not child.isVisible():
                continue  # with a message shown, only the permanent widgets and the size grip are
            gap = 0 if isinstance(child, QSizeGrip) else GAP
            if rtl:
                left = max(left, child.geometry().right() + 1 + gap)
            else:
                right = min(right, child.x() - gap)
        return QRect(left, 0, max(0, right - left), self.height())

    def shown_message(self) -> str:
        """The message as the bar shows it: whole, or cut at a character and ended with "…"."""
        message = self.currentMessage()
        if not message:
            return ""
        width = self.message_rect().width()
        return self.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, width)

    def tip(self) -> str:
        """The tooltip: the whole message when the bar shows only part of it, else nothing."""
        message = self.currentMessage()
        if not message or self.shown_message() == message:
            return ""
        return message if len(message) <= TIP_CHARS else message[: TIP_CHARS - 1] + "…"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tip()
            if tip and self.message_rect().contains(event.pos()):
                QToolTip.showText(event.globalPos(), literal_html(tip), self)  # untrusted text: never HTML
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.currentMessage():
            super().paintEvent(event)
            return
        # As QStatusBar paints (the panel, the permanent widgets' frames), with the message elided.
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isVisible() and not isinstance(child, QSizeGrip):
                frame = QStyleOption()
                frame.rect = child.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                frame.state = QStyle.StateFlag.State_None
                self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame, painter, child)
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.drawText(self.message_rect(), int(flags), self.shown_message())
        painter.end()
