"""The tag editor: the paper's tags as removable chips and a field to add more.

Made for triage by keyboard: T opens it with the last tags filled in and
selected (typing replaces them), the completion works on the tag being typed
after a comma, and Enter adds the tags and hands the keyboard back.
"""

from __future__ import annotations

from PySide6.QtCore import QIdentityProxyModel, QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QToolButton, QVBoxLayout, QWidget

from ...core.display import visible
from .flow_layout import FlowLayout, expanding_width_policy


def split_tags(text: str) -> list[str]:
    """Tags typed in the field: comma-separated, blanks dropped, order kept."""
    seen: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def button_text(text: str) -> str:
    """User text for a button or action label: ``&`` would make a mnemonic."""
    return text.replace("&", "&&")


class VisibleNames(QIdentityProxyModel):
    """Names shown through :func:`visible`; the completion (EditRole) stays the stored name."""

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        value = super().data(index, role)
        if role == Qt.ItemDataRole.DisplayRole and isinstance(value, str):
            return visible(value)
        return value


class TagCompleter(QCompleter):
    """Completes the tag after the last comma, keeping the tags typed before it."""

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].lstrip()]

    def pathFromIndex(self, index) -> str:
        widget = self.widget()
        typed = widget.text() if isinstance(widget, QLineEdit) else ""
        before = typed.rsplit(",", 1)[0] + ", " if "," in typed else ""
        return before + str(index.data(self.completionRole()))


class TagEditor(QWidget):
    tagsAdded = Signal(list)
    tagRemoved = Signal(str)
    #: Enter or Escape in the field: hand the keyboard back (to the table).
    finished = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("tagEditor")
        self.setAccessibleName("Tags")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._chips = QWidget(self)
        self._chips.setObjectName("tagChips")
        self._chips.setSizePolicy(expanding_width_policy())
        self._flow = FlowLayout(self._chips)
        layout.addWidget(self._chips)
        self.input = QLineEdit(self)
        self.input.setObjectName("tagInput")
        self.input.setAccessibleName("Add tags")
        self.input.setPlaceholderText("Add tags, comma-separated (T)")
        self.input.setClearButtonEnabled(True)
        self._names = QStringListModel(self)
        self._shown_names = VisibleNames(self)
        self._shown_names.setSourceModel(self._names)
        completer = TagCompleter(self._shown_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.input.setCompleter(completer)
        self.input.returnPressed.connect(self._commit)
        layout.addWidget(self.input)
        self._tags: list[str] = []

    @property
    def tags(self) -> list[str]:
        return list(self._tags)

    def set_tags(self, tags: list[str]) -> None:
        if tags == self._tags:
            return
        self._tags = list(tags)
        while self._flow.count():
            item = self._flow.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for tag in tags:
            chip = QToolButton(self._chips)
            chip.setObjectName("tagChip")
            chip.setText(button_text(visible(tag)) + "  ✕")
            chip.setToolTip("Remove this tag")
            chip.setAccessibleName(f"Remove tag {visible(tag)}")
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            chip.clicked.connect(lambda _=False, t=tag: self.tagRemoved.emit(t))
            self._flow.addWidget(chip)
        self._chips.setVisible(bool(tags))
        self._chips.updateGeometry()

    def set_completions(self, names: list[str]) -> None:
        self._names.setStringList(names)

    def focus_input(self, suggestion: str = "") -> None:
        """Put the keyboard in the field, with ``suggestion`` selected unless something is typed there."""
        if suggestion and not self.input.text().strip():
            self.input.setText(suggestion)
        self.input.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.input.selectAll()

    def _commit(self) -> None:
        # A completion highlighted in the popup is already in the field (pathFromIndex).
        popup = self.input.completer().popup()
        if popup is not None and popup.isVisible():
            popup.hide()
        tags = split_tags(self.input.text())
        self.input.clear()
        if tags:
            self.tagsAdded.emit(tags)
        self.finished.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.input.clear()
            self.finished.emit()
            return
        super().keyPressEvent(event)
