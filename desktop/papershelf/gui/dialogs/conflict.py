"""Someone else changed the note or fields the user was editing: both versions side by side, and the user chooses.

Shown for a :class:`~papershelf.core.errors.EditConflict` (nothing was saved
yet). Theirs (what the library holds now) and the user's own text are shown
read-only and selectable (Ctrl+A, Ctrl+C; Copy Mine copies all of it); a
merge of both, when they changed different lines, is offered editable.
Keep Mine saves the user's text over theirs, Keep Theirs drops the user's
edit (the caller keeps it on the clipboard), Use Merged saves the merge.
Closing the dialog decides nothing: the user's text stays unsaved where it
was typed, and the next save asks again. Nothing is ever chosen silently:
no button is the default.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import Clash, EditConflict
from ..widgets.labels import wrapped_label

MINE, THEIRS, MERGED = "mine", "theirs", "merged"
PREFERRED_SIZE = QSize(860, 560)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _short(clash: Clash) -> bool:
    """Whether both sides are one line (a field such as a title or year)."""
    return not any("\n" in text for text in (clash.theirs or "", clash.mine))


def _text_box(text: str, name: str, accessible: str, parent: QWidget, *, editable: bool = False) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setPlainText(text)
    box.setReadOnly(not editable)
    if not editable:
        # Read-only, still selectable and copyable from the keyboard too (Ctrl+A, Ctrl+C).
        box.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    box.setTabChangesFocus(True)
    box.setMinimumHeight(80)
    return box


class ConflictDialog(QDialog):
    """Theirs and mine side by side, a merge when there is one; :attr:`choice` says what the user chose."""

    @classmethod
    def ask(
        cls, conflict: EditConflict, parent: QWidget | None, settled: Callable[[ConflictDialog], None]
    ) -> ConflictDialog:
        """Open a dialog on ``conflict`` without blocking; when it closes, call ``settled`` with it, then delete it."""
        dialog = cls(conflict, parent)

        def finished(_result: int) -> None:
            settled(dialog)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def __init__(self, conflict: EditConflict, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setAccessibleName("Edit conflict")
        self.setWindowTitle("Changed by Someone Else")
        self.conflict = conflict
        #: MINE, THEIRS or MERGED once chosen; None while open or when closed without a choice.
        self.choice: str | None = None
        self.theirs_views: dict[str, QPlainTextEdit] = {}
        self.mine_views: dict[str, QPlainTextEdit] = {}
        self.merged_views: dict[str, QPlainTextEdit] = {}
        note = conflict.note_id is not None

        outer = QVBoxLayout(self)
        outer.addWidget(wrapped_label(_sentence(str(conflict)), "conflictMessage", self))
        if conflict.deleted:
            advice = (
                "Your text is not lost: it is below. Add it again as a new note, or leave the note deleted"
                " (your text then goes to the clipboard)."
            )
        else:
            advice = (
                "Theirs is what the library holds now; yours is not saved yet. Choose which to keep"
                " (keeping theirs puts yours on the clipboard)."
            )
        outer.addWidget(wrapped_label(advice, "conflictAdvice", self))

        scroll = QScrollArea(self)
        scroll.setObjectName("conflictScroll")
        scroll.setWidgetResizable(True)
        body = QWidget(scroll)
        scroll.setWidget(body)
        rows = QVBoxLayout(body)
        rows.setContentsMargins(0, 0, 0, 0)
        for clash in conflict.clashes:
            rows.addWidget(
                self._clash_box(clash, "Note" if note else clash.field.capitalize(), body), 0 if _short(clash) else 1
            )
        rows.addStretch(0)
        outer.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.copy_button = self._button("Copy Mine", "copyMineButton", "Copy your version to the clipboard")
        self.copy_button.clicked.connect(self.copy_mine)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        self.theirs_button = self._button(
            "Leave It Deleted" if conflict.deleted else "Keep Theirs",
            "keepTheirsButton",
            "Drop your edit and keep what the library has (yours goes to the clipboard)",
        )
        self.theirs_button.clicked.connect(lambda: self._choose(THEIRS))
        buttons.addWidget(self.theirs_button)
        self.merged_button = self._button("Use Merged", "useMergedButton", "Save the merge of both versions")
        self.merged_button.clicked.connect(lambda: self._choose(MERGED))
        mergeable = self.mergeable
        self.merged_button.setEnabled(mergeable)
        if not mergeable:
            self.merged_button.setToolTip(
                "The note is gone: there is nothing to merge with"
                if conflict.deleted
                else "You both changed the same lines: there is no merge to offer"
            )
        buttons.addWidget(self.merged_button)
        self.mine_button = self._button(
            "Add Mine Again" if conflict.deleted else "Keep Mine",
            "keepMineButton",
            "Add your text as a new note" if conflict.deleted else "Save your version over theirs",
        )
        self.mine_button.clicked.connect(lambda: self._choose(MINE))
        buttons.addWidget(self.mine_button)
        outer.addLayout(buttons)
        self.setMinimumSize(QSize(520, 360))
        self.resize(self._fitting(PREFERRED_SIZE))

    @property
    def mergeable(self) -> bool:
        """Whether every clash has a merge (Use Merged is offered)."""
        return all(clash.merged is not None for clash in self.conflict.clashes)

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        # No default: Enter in a text box never picks a side.
        button.setAutoDefault(False)
        button.setDefault(False)
        return button

    def _clash_box(self, clash: Clash, title: str, parent: QWidget) -> QGroupBox:
        box = QGroupBox(title, parent)
        layout = QVBoxLayout(box)
        sides = QHBoxLayout()
        theirs_column = QVBoxLayout()
        theirs_column.addWidget(QLabel("Theirs (in the library now):", box))
        if clash.theirs is None:
            gone = wrapped_label("Deleted by someone else.", "theirsDeleted", box)
            gone.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            theirs_column.addWidget(gone, 1)
        else:
            view = _text_box(clash.theirs, "theirsText", f"Their {title.lower()}", box)
            self.theirs_views[clash.field] = view
            theirs_column.addWidget(view, 1)
        mine_column = QVBoxLayout()
        mine_column.addWidget(QLabel("Yours (not saved):", box))
        mine = _text_box(clash.mine, "mineText", f"Your {title.lower()}", box)
        self.mine_views[clash.field] = mine
        mine_column.addWidget(mine, 1)
        sides.addLayout(theirs_column, 1)
        sides.addLayout(mine_column, 1)
        if _short(clash):
            # One line each (a title, a year): boxes as tall as a few lines, wrapping a long one.
            views = [mine, *([self.theirs_views[clash.field]] if clash.field in self.theirs_views else [])]
            for view in views:
                view.setMinimumHeight(0)
                view.setFixedHeight(view.fontMetrics().lineSpacing() * 3 + 2 * view.frameWidth() + 8)
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addLayout(sides, 1)
        if clash.merged is not None and self.mergeable:
            layout.addWidget(QLabel("Merged (both changes; you can edit it before using it):", box))
            merged = _text_box(clash.merged, "mergedText", f"Merged {title.lower()}", box, editable=True)
            self.merged_views[clash.field] = merged
            layout.addWidget(merged, 1)
        return box

    def _fitting(self, preferred: QSize) -> QSize:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return preferred
        room = screen.availableGeometry()
        return QSize(min(preferred.width(), room.width() - 40), min(preferred.height(), room.height() - 60))

    # --- What the user chose ---

    def mine_text(self) -> str:
        """The user's version: a note's text, or ``field: value`` lines for fields."""
        clashes = self.conflict.clashes
        if self.conflict.note_id is not None or len(clashes) == 1:
            return clashes[0].mine
        return "\n".join(f"{clash.field}: {clash.mine}" for clash in clashes)

    def merged_texts(self) -> dict[str, str]:
        """The merge of each field (as the user may have edited it)."""
        return {name: view.toPlainText() for name, view in self.merged_views.items()}

    def copy_mine(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.mine_text())

    def _choose(self, choice: str) -> None:
        if choice == THEIRS:
            self.copy_mine()  # never lost: the user's words stay at hand
        self.choice = choice
        self.accept()
