"""Paper ▸ Find Duplicates…: groups of papers that look like one work, merged or set apart one group at a time.

The groups are found on a worker thread (``core.duplicates.find``: seconds at
100,000 papers), so the window keeps painting. The selected group's papers
stand side by side: one column per paper, a "Keep this one" choice on top, and
a row for each field where they differ, with a radio choice per paper (the
kept paper's value by default, or the first other's where it has none, as
``MergePapers`` fills in). Merge is one operation through the window's undo
stack (Edit ▸ Undo takes it back); Not Duplicates marks the group's papers as
different works for good. Every value is shown as plain text.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core import duplicates
from ...core import operations as ops
from ...core.display import visible
from ...core.operations.merge import differing_fields, shown, values_of
from .. import workers
from ..widgets.labels import literal_html

if TYPE_CHECKING:
    from ...core.library import Library
    from ...core.records import Paper
    from ..main_window import MainWindow

#: Longest value shown in a choice (an abstract is cut, with "…").
SHOWN_CHARS = 160
#: Field names as the dialog labels them.
LABELS = {
    "type": "Type",
    "title": "Title",
    "authors": "Authors",
    "date": "Date",
    "url": "URL",
    "arxiv": "arXiv id",
    "abstract": "Abstract",
    "code": "Code",
    "project": "Project page",
    "class": "arXiv class",
}

_open: weakref.WeakKeyDictionary[Any, DuplicatesDialog] = weakref.WeakKeyDictionary()


def open_dialog(window: MainWindow) -> DuplicatesDialog | None:
    """Show the window's Find Duplicates dialog (one per window), finding the groups afresh."""
    if window.library is None:
        return None
    dialog = _open.get(window)
    if dialog is None:
        dialog = DuplicatesDialog(window)
        _open[window] = dialog
    dialog.find_groups()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _label(text: str, parent: QWidget, *, wrap: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    return label


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


#: The dialog's size on a screen with room for it.
PREFERRED_SIZE = (1000, 620)


def fitted_size(window: QWidget) -> tuple[int, int]:
    """:data:`PREFERRED_SIZE`, made smaller to fit the screen the window is on (an 800x600 one too)."""
    width, height = PREFERRED_SIZE
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        available = screen.availableGeometry()
        # Room for the window frame and title bar the window manager adds.
        width = min(width, available.width() - 40)
        height = min(height, available.height() - 60)
    return max(width, 400), max(height, 300)


class DuplicatesDialog(QDialog):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._window = window
        self.setObjectName("duplicatesDialog")
        self.setWindowTitle("Find Duplicates")
        self.setAccessibleName("Find duplicates")
        width, height = fitted_size(window)
        self.resize(width, height)
        self.groups: list[duplicates.Group] = []
        self.papers: list[Paper] = []
        self.keep_group = QButtonGroup(self)
        #: field name -> its choice buttons, each holding its paper's id.
        self.choices: dict[str, QButtonGroup] = {}
        self._task: workers.Task | None = None
        self._generation = 0

        layout = QVBoxLayout(self)
        self.status = _label("", self)
        self.status.setObjectName("duplicatesStatus")
        layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.group_list = QListWidget(split)
        self.group_list.setObjectName("duplicateGroups")
        self.group_list.setAccessibleName("Groups of duplicates")
        self.group_list.currentRowChanged.connect(self._show_group)
        right = QWidget(split)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.why = _label("", right)
        self.why.setObjectName("duplicatesWhy")
        right_layout.addWidget(self.why)
        self.scroll_area = QScrollArea(right)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )  # the columns share the width
        right_layout.addWidget(self.scroll_area, 1)
        split.addWidget(self.group_list)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([width * 3 // 10, width * 7 // 10])
        layout.addWidget(split, 1)

        buttons = QDialogButtonBox(self)
        self.merge_button = QPushButton("&Merge", self)
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.setToolTip("Merge the group into the paper kept (one step: Edit ▸ Undo takes it back)")
        self.not_button = QPushButton("&Not Duplicates", self)
        self.not_button.setObjectName("notDuplicatesButton")
        self.not_button.setToolTip("These papers are different works: never group them again")
        buttons.addButton(self.merge_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.not_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.merge_button.clicked.connect(self.merge)
        self.not_button.clicked.connect(self.mark_not_duplicates)
        row = QHBoxLayout()
        row.addWidget(buttons)
        layout.addLayout(row)
        self._set_enabled(False)

    # --- Finding ---------------------------------------------------------------------------

    @property
    def finding(self) -> bool:
        return self._task is not None

    def find_groups(self) -> None:
        """Find the groups on a worker thread; the list fills in when they arrive."""
        library = self._window.library
        if library is None or self._task is not None:
            return
        self._generation += 1
        generation = self._generation
        self.status.setText("Finding duplicates…")
        self.group_list.clear()
        self._show_papers([])
        self._set_enabled(False)
        self._task = workers.run(
            _find,
            library,
            on_result=lambda found: self._found(generation, *found),
            on_error=self._failed,
        )

    def _found(self, generation: int, groups: list[duplicates.Group], titles: dict[int, str]) -> None:
        self._task = None
        if generation != self._generation or self._window.library is None:
            return
        self.groups = list(groups)
        self.group_list.clear()
        for group in self.groups:
            item = QListWidgetItem(visible(f"{len(group.ids)} papers: {titles.get(group.ids[0], '')}"))
            item.setToolTip("")  # a title is not rich text
            self.group_list.addItem(item)
        self._say_count()
        if self.groups:
            self.group_list.setCurrentRow(0)

    def _failed(self, exc: BaseException, details: str) -> None:
        self._task = None
        self.status.setText("Finding duplicates failed.")
        self._window.report_error(exc, details)

    def _say_count(self) -> None:
        n = len(self.groups)
        self.status.setText(
            "No duplicates found." if n == 0 else f"{n} group{'s' if n != 1 else ''} of papers that look like one work."
        )

    # --- One group ---------------------------------------------------------------------------

    def _show_group(self, row: int) -> None:
        library = self._window.library
        if row < 0 or row >= len(self.groups) or library is None:
            self._show_papers([])
            return
        group = self.groups[row]
        self.why.setText("\n".join(visible(reason[:1].upper() + reason[1:]) for reason in group.reasons))
        self._show_papers(library.get_many(list(group.ids)))

    def _show_papers(self, papers: list[Paper]) -> None:
        self.papers = papers
        if not papers:
            self.why.setText("")
        body = QWidget()
        grid = QGridLayout(body)
        grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        grid.setHorizontalSpacing(16)
        self.keep_group = QButtonGroup(self)
        self.choices = {}
        for column, paper in enumerate(papers, 1):
            keep = QRadioButton("Keep this one", body)
            keep.setObjectName(f"keep{paper.id}")
            self.keep_group.addButton(keep, paper.id)
            head = QWidget(body)
            head_layout = QVBoxLayout(head)
            head_layout.setContentsMargins(0, 0, 0, 0)
            year = str(paper.published.year) if paper.published else "no year"
            head_layout.addWidget(_label(f"Paper {paper.id} · {year}", head))
            # A key has no spaces to wrap at: it is cut to the column, whole in its tooltip.
            key = _label(visible(paper.citation_key), head, wrap=False)
            key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            key.setToolTip(literal_html(paper.citation_key))
            head_layout.addWidget(key)
            head_layout.addWidget(keep)
            grid.addWidget(head, 0, column)
            grid.setColumnStretch(column, 1)
        fields = differing_fields(papers) if len(papers) > 1 else []
        values = [values_of(p) for p in papers]
        for row, name in enumerate(fields, 1):
            title = _label(LABELS.get(name, name), body, wrap=False)
            title.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(title, row, 0)
            group = QButtonGroup(self)
            group.setExclusive(True)
            for column, (paper, paper_values) in enumerate(zip(papers, values), 1):
                text = shown(paper_values.get(name))
                choice = QRadioButton(body)
                choice.setObjectName(f"choice_{name}_{paper.id}")
                choice.setAccessibleName(f"{LABELS.get(name, name)} of paper {paper.id}")
                # A radio button's own text does not wrap: the value is a plain-text label beside it.
                cell = QWidget(body)
                cell_layout = QHBoxLayout(cell)
                cell_layout.setContentsMargins(0, 0, 0, 0)
                cell_layout.addWidget(choice, 0, Qt.AlignmentFlag.AlignTop)
                value = _label(visible(_cut(text)) if text else "(none)", cell)
                value.setEnabled(bool(text))
                value.setBuddy(choice)
                cell_layout.addWidget(value, 1, Qt.AlignmentFlag.AlignTop)
                group.addButton(choice, paper.id)
                grid.addWidget(cell, row, column)
            self.choices[name] = group
        same = len(papers) > 1 and not fields
        if same:
            grid.addWidget(_label("All their fields are the same.", body), 1, 1, 1, len(papers))
        self.scroll_area.setWidget(body)
        if papers:
            self.keep_group.idToggled.connect(self._keep_changed)
            default = next((p for p in papers if _published(p)), papers[0])
            self.keep_group.button(default.id).setChecked(True)
        self._set_enabled(len(papers) > 1)

    def _keep_changed(self, keep_id: int, checked: bool) -> None:
        """The default choice of each field: the kept paper's value, or the first other's where it has none."""
        if not checked:
            return
        order = [p for p in self.papers if p.id == keep_id] + [p for p in self.papers if p.id != keep_id]
        for name, group in self.choices.items():
            chosen = next((p for p in order if shown(values_of(p).get(name))), order[0])
            group.button(chosen.id).setChecked(True)

    def _set_enabled(self, enabled: bool) -> None:
        self.merge_button.setEnabled(enabled)
        self.not_button.setEnabled(enabled)

    # --- Acting --------------------------------------------------------------------------

    def kept(self) -> int | None:
        button: QAbstractButton | None = self.keep_group.checkedButton()
        return self.keep_group.id(button) if button is not None else None

    def merge_operation(self) -> ops.MergePapers | None:
        keep = self.kept()
        if keep is None or len(self.papers) < 2:
            return None
        others = tuple(p.id for p in self.papers if p.id != keep)
        prefer = tuple((name, group.checkedId()) for name, group in self.choices.items() if group.checkedId() > 0)
        return ops.MergePapers(keep, others, prefer)

    def merge(self) -> None:
        operation = self.merge_operation()
        if operation is not None:
            self._act(operation)

    def mark_not_duplicates(self) -> None:
        if len(self.papers) > 1:
            self._act(ops.MarkNotDuplicate(tuple(p.id for p in self.papers)))

    def _act(self, operation: ops.Operation) -> None:
        row = self.group_list.currentRow()
        self._set_enabled(False)

        def done(_outcome: ops.Outcome) -> None:
            if 0 <= row < len(self.groups):
                del self.groups[row]
                self.group_list.takeItem(row)
            self._say_count()
            self._show_group(self.group_list.currentRow())

        if not self._window.edits.run(operation, on_done=done, on_error=self._refused):
            self._set_enabled(True)

    def _refused(self, exc: BaseException, details: str) -> None:
        self._set_enabled(len(self.papers) > 1)
        self._window.report_error(exc, details)


def _find(library: Library) -> tuple[list[duplicates.Group], dict[int, str]]:
    """On the worker thread: the groups, and the title of each group's first paper (for the list)."""
    groups = duplicates.find(library)
    rows = library.rows([g.ids[0] for g in groups])
    return groups, {pid: row.title for pid, row in rows.items()}


def _published(paper: Paper) -> bool:
    extra = paper.extra_fields or {}
    return bool(extra.get("journal") or extra.get("booktitle"))
