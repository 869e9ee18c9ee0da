"""Paper ▸ Download PDFs Automatically…: off (the default), or the PDF of each paper that gets a tag or joins a list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...core.display import visible
from ..widgets.labels import wrapped_label

if TYPE_CHECKING:
    from ...core.operations.downloads import AutoRule


class AutoDownloadDialog(QDialog):
    """Off (the default), or download the PDF of each paper that gets a tag, or joins a reading list."""

    def __init__(self, tags: list[str], lists: list[str], rule: AutoRule | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("autoDownloadDialog")
        self.setAccessibleName("Download PDFs automatically")
        self.setWindowTitle("Download PDFs Automatically")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapped_label(
                "Papershelf can download the arXiv PDF of a paper as soon as it gets a tag or joins a reading list, "
                "so it is there to read offline. It contacts arxiv.org only for those papers.",
                "autoDownloadText",
                self,
            )
        )
        self.group = QButtonGroup(self)
        self.off = QRadioButton("Off", self)
        self.off.setObjectName("autoDownloadOff")
        self.by_tag = QRadioButton("Papers that get the tag:", self)
        self.by_tag.setObjectName("autoDownloadTag")
        self.by_list = QRadioButton("Papers that join the list:", self)
        self.by_list.setObjectName("autoDownloadList")
        self.tag_box = QComboBox(self)
        self.tag_box.setObjectName("autoDownloadTagBox")
        self.tag_box.setEditable(True)
        self.tag_box.setMinimumWidth(180)
        if (line := self.tag_box.lineEdit()) is not None:
            line.setPlaceholderText("a tag, e.g. to-read")
        self.tag_box.addItems([visible(t) for t in tags])
        self.list_box = QComboBox(self)
        self.list_box.setObjectName("autoDownloadListBox")
        self.list_box.setMinimumWidth(180)
        self.list_box.addItems([visible(n) for n in lists])
        self._tags, self._lists = tags, lists
        # Choosing in a box chooses its option (the user need not click the round button first).
        self.tag_box.textActivated.connect(lambda _text: self.by_tag.setChecked(True))
        editor = self.tag_box.lineEdit()
        if editor is not None:
            editor.textEdited.connect(lambda _text: self.by_tag.setChecked(True))
        self.list_box.activated.connect(lambda _index: self.by_list.setChecked(True))
        for button, box in ((self.off, None), (self.by_tag, self.tag_box), (self.by_list, self.list_box)):
            self.group.addButton(button)
            row = QHBoxLayout()
            row.addWidget(button)
            if box is not None:
                row.addWidget(box, 1)
            layout.addLayout(row)
        kind, value = rule or ("", "")
        self.tag_box.setCurrentIndex(-1)  # no tag until one is chosen or typed (not the first in the list)
        self.tag_box.clearEditText()
        if kind == "tag":
            self.by_tag.setChecked(True)
            self.tag_box.setCurrentText(visible(value))
        elif kind == "list" and value in lists:
            self.by_list.setChecked(True)
            self.list_box.setCurrentIndex(lists.index(value))
        else:
            self.off.setChecked(True)
        self.by_list.setEnabled(bool(lists))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def rule(self) -> AutoRule | None:
        """The rule chosen: ("tag", name), ("list", name), or None (off)."""
        if self.by_tag.isChecked():
            text = self.tag_box.currentText().strip()
            original = next((t for t in self._tags if visible(t) == text), text)
            return ("tag", original) if original else None
        if self.by_list.isChecked() and 0 <= self.list_box.currentIndex() < len(self._lists):
            return ("list", self._lists[self.list_box.currentIndex()])
        return None
