"""Paper ▸ Edit Entry…: every BibTeX field of one paper in a dialog, checked as the user types, saved as one undoable edit.

The checks and the change are the core's (``core/operations/edit.py``,
``core/names.py``); this dialog only shows the fields and collects what the
user changed. A field is checked only once the user changes it, so a value an
import kept as it was ("in press") never blocks OK. Names are rows of parts
(First, von, Last, Jr) or one organisation name; a row the user did not touch
is saved as the very string the library had, so its export stays as written.

The edit says what the user saw of each field it changes (``EditFields.base``):
a field someone else changed meanwhile (a shared library) and the user changed
too is a conflict: nothing is saved, the :class:`ConflictDialog` shows both
versions, and the user's choice is saved with the rest of the edit.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core import names
from ...core import operations as ops
from ...core.errors import EditConflict
from ...core.exporters.common import MONTHS, month_macro, split_name_list
from ...core.operations.edit import (
    NOT_EDITABLE,
    InvalidField,
    Value,
    check_value,
    date_changes,
    field_name,
    seen_values,
)
from ...core.records import Paper
from ..widgets.labels import wrapped_label
from .conflict import MERGED, THEIRS, ConflictDialog

#: Entry types offered in the list (any other can be typed).
ENTRY_TYPES = (
    "article",
    "inproceedings",
    "incollection",
    "inbook",
    "book",
    "proceedings",
    "collection",
    "phdthesis",
    "mastersthesis",
    "thesis",
    "techreport",
    "report",
    "manual",
    "online",
    "misc",
    "unpublished",
)
#: Fields the form shows on their own line, after the venue.
FORM_FIELDS = (("Volume", "volume"), ("Number", "number"), ("Pages", "pages"), ("Publisher", "publisher"))
LINK_FIELDS = (("DOI", "doi"), ("URL", "url"))
#: Extra fields the form shows elsewhere (the other-fields table leaves them out).
SHOWN_ELSEWHERE = frozenset({"volume", "number", "pages", "publisher", "doi", "editor", "year", "month", "day", "date"})
#: The editor's size where the screen has room; it shrinks to the screen, down to the minimum, and scrolls.
PREFERRED_SIZE = QSize(1000, 720)
MINIMUM_SIZE = QSize(480, 360)
#: How many rows the editors and other-fields tables show before they scroll.
EDITOR_ROWS = 4
OTHER_ROWS = 6
_INVALID = "background-color: #ffd9d9;"
_INVALID_BRUSH = QBrush(QColor("#ffd9d9"))


def venue_field(entry_type: str, extra: dict[str, str]) -> str:
    """``journal`` or ``booktitle`` (``journaltitle`` when the entry already uses it), by entry type."""
    kind = entry_type.strip().lower()
    if kind == "article":
        return "journaltitle" if "journaltitle" in extra and "journal" not in extra else "journal"
    if kind in ("inproceedings", "incollection", "inbook", "conference") or "booktitle" in extra:
        return "booktitle"
    return "journal"


def date_text(paper: Paper) -> str:
    """The paper's year or date as the editor shows it: ``2017``, ``2017-08``, ``2019-05-03``."""
    extra = paper.extra_fields or {}
    if extra.get("date"):
        return str(extra["date"])
    year = str(extra.get("year", "")).strip()
    if not year:
        return paper.published.isoformat() if paper.published else ""
    macro = month_macro(str(extra.get("month", "")))
    if macro is None:
        return year
    text = f"{year}-{MONTHS.index(macro) + 1:02d}"
    day = str(extra.get("day", "")).strip()
    return f"{text}-{int(day):02d}" if day.isdigit() else text


def fitting_size(widget: QWidget, preferred: QSize) -> QSize:
    """``preferred``, made smaller where the widget's screen (less room for the window frame) has less room."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return preferred
    room = screen.availableGeometry()
    return QSize(min(preferred.width(), room.width() - 40), min(preferred.height(), room.height() - 60)).expandedTo(
        widget.minimumSize()
    )


def fit_rows(table: QTableWidget, most: int) -> None:
    """Keep ``table`` as tall as its rows (one at least, ``most`` at most, then it scrolls), as rows come and go."""

    def fit(*_args: object) -> None:
        rows = min(max(table.rowCount(), 1), most)
        row_height = table.verticalHeader().defaultSectionSize()
        frame = 2 * table.frameWidth()
        height = table.horizontalHeader().sizeHint().height() + rows * row_height + frame
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + row_height + frame)
        table.setMaximumHeight(height)

    model = table.model()
    model.rowsInserted.connect(fit)
    model.rowsRemoved.connect(fit)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
    fit()


# --- Names ------------------------------------------------------------------------------------


class NamesTable(QWidget):
    """An ordered list of names, one row each: Organisation, First, von, Last, Jr; add, remove, move."""

    changed = Signal()
    COLUMNS = ("Org.", "First", "von", "Last", "Jr")
    _ORIGINAL = Qt.ItemDataRole.UserRole

    def __init__(self, title: str, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName(f"{name}Table")
        self.table.setAccessibleName(title)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        last = self.table.horizontalHeaderItem(3)
        if last is not None:
            last.setToolTip("The last name, or an organisation's whole name")
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for column in (2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, 56)
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = self._button("Add", "Add a name after the selected one", self.add_row)
        self.remove_button = self._button("Remove", "Remove the selected name", self.remove_row)
        self.up_button = self._button("Up", "Move the selected name up", lambda: self.move_row(-1))
        self.down_button = self._button("Down", "Move the selected name down", lambda: self.move_row(1))
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._original: tuple[str, ...] = ()
        self._filling = False

    def compact(self, most: int = EDITOR_ROWS) -> None:
        """As tall as the names (one row when there are none, ``most`` at most), not sharing the room equally."""
        fit_rows(self.table, most)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(f"{self.objectName()}{text}Button")
        button.setToolTip(tip)
        button.setAccessibleName(f"{tip} ({self.title})")
        button.clicked.connect(lambda _=False: slot())
        return button

    # --- Filling and reading ---

    def set_names(self, stored: list[str], written: dict[str, str] | None = None) -> None:
        """Rows for the names the library keeps; ``written``: each as its .bib entry wrote it."""
        self._original = tuple(stored)
        self.table.setRowCount(0)
        for text in stored:
            self._append(names.from_stored(text, (written or {}).get(text)), text)

    def _append(self, name: names.Name, original: str | None, row: int | None = None) -> int:
        self._filling = True
        try:
            row = self.table.rowCount() if row is None else row
            self.table.insertRow(row)
            org = QTableWidgetItem()
            org.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            org.setCheckState(Qt.CheckState.Checked if name.organisation else Qt.CheckState.Unchecked)
            org.setToolTip("An organisation: one name, never split into first and last")
            org.setData(self._ORIGINAL, (original, name))
            self.table.setItem(row, 0, org)
            for column, text in enumerate((name.first, name.von, name.last, name.jr), start=1):
                self.table.setItem(row, column, QTableWidgetItem(text))  # items show plain text
            self._show_kind(row)
        finally:
            self._filling = False
        self._check_row(row)
        return row

    def name_at(self, row: int) -> names.Name:
        def text(column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        org = self.table.item(row, 0)
        if org is not None and org.checkState() == Qt.CheckState.Checked:
            return names.Name.org(" ".join(t for t in (text(1), text(2), text(3), text(4)) if t.strip()))
        return names.Name(text(1), text(2), text(3), text(4)).cleaned()

    def _original_at(self, row: int) -> tuple[str | None, names.Name | None]:
        item = self.table.item(row, 0)
        data = item.data(self._ORIGINAL) if item is not None else None
        return data if isinstance(data, tuple) else (None, None)

    def stored(self) -> tuple[str, ...]:
        """The names as the library keeps them: an untouched row as it was, a changed one afresh."""
        out = []
        for row in range(self.table.rowCount()):
            original, parts = self._original_at(row)
            name = self.name_at(row)
            out.append(original if original is not None and name == parts else names.stored(name))
        return tuple(out)

    def is_changed(self) -> bool:
        return not self.problems() and self.stored() != self._original

    def problems(self) -> list[str]:
        found = []
        for row in range(self.table.rowCount()):
            problem = self._row_problem(row)
            if problem:
                found.append(f"{self.title}, row {row + 1}: {problem}")
        return found

    def _row_problem(self, row: int) -> str | None:
        original, parts = self._original_at(row)
        name = self.name_at(row)
        if original is not None and name == parts:
            return None  # untouched: saved as it was
        return names.check(name)

    # --- Editing ---

    def add_row(self) -> None:
        current = self.table.currentRow()
        row = self._append(names.Name(), None, current + 1 if current >= 0 else None)
        self.table.setCurrentCell(row, 1)
        item = self.table.item(row, 1)
        if item is not None:
            self.table.editItem(item)
        self.changed.emit()

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.changed.emit()

    def move_row(self, step: int) -> None:
        row = self.table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        self._filling = True
        try:
            items = [self.table.takeItem(row, c) for c in range(self.table.columnCount())]
            self.table.removeRow(row)
            self.table.insertRow(target)
            for column, item in enumerate(items):
                self.table.setItem(target, column, item)
        finally:
            self._filling = False
        self.table.setCurrentCell(target, self.table.currentColumn() if self.table.currentColumn() >= 0 else 1)
        self.changed.emit()

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        if item.column() == 0:
            self._show_kind(item.row())
        self._check_row(item.row())
        self.changed.emit()

    def _show_kind(self, row: int) -> None:
        """An organisation's row has only its name: the person's other parts are greyed out."""
        org = self.table.item(row, 0)
        is_org = org is not None and org.checkState() == Qt.CheckState.Checked
        self._filling, was = True, self._filling
        try:
            for column in (1, 2, 4):
                item = self.table.item(row, column)
                if item is None:
                    continue
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if not is_org:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags if not is_org else Qt.ItemFlag.ItemIsSelectable)
        finally:
            self._filling = was

    def _check_row(self, row: int) -> None:
        problem = self._row_problem(row)
        self._filling, was = True, self._filling
        try:
            for column in range(1, self.table.columnCount()):
                item = self.table.item(row, column)
                if item is not None:
                    item.setBackground(_INVALID_BRUSH if problem else QBrush())
                    item.setToolTip(problem or "")
        finally:
            self._filling = was


# --- The dialog ---------------------------------------------------------------------------------

#: ``run(operation, on_done=..., on_error=...)``: queue an operation as one undo step (``Edits.run``).
Runner = Callable[..., bool]


class EntryEditor(QDialog):
    """Edit one paper's entry; OK saves what changed as one operation through ``run``."""

    def __init__(self, paper: Paper, run: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("entryEditor")
        self.setAccessibleName("Edit entry")
        self.setWindowTitle("Edit Entry")
        self.paper = paper
        self._run = run
        self._extra = dict(paper.extra_fields or {})
        self._venue = venue_field(paper.entry_type or "misc", self._extra)
        #: field -> (line edit, original text)
        self.fields: dict[str, tuple[QLineEdit, str]] = {}
        self._problems: dict[str, str] = {}
        # What the user chose in conflicts: the value they have now seen (theirs) of each field in conflict,
        # the fields whose edit they dropped (Keep Theirs), the merges they took (Use Merged).
        self._seen_since: dict[str, str] = {}
        self._dropped: set[str] = set()
        self._merged: dict[str, str] = {}
        #: The open conflict dialog (tests drive it).
        self.conflict_dialog: ConflictDialog | None = None

        outer = QVBoxLayout(self)
        # Everything but the message and the buttons scrolls: the dialog fits an 800×600 screen.
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("entryEditorScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(self.scroll_area)
        self.scroll_area.setWidget(content)
        outer.addWidget(self.scroll_area, 1)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QGridLayout()
        layout.addLayout(top, 1)

        form_box = QGroupBox("Entry", self)
        form = QFormLayout(form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.type_combo = QComboBox(form_box)
        self.type_combo.setObjectName("entryTypeCombo")
        self.type_combo.setAccessibleName("Entry type")
        self.type_combo.setEditable(True)
        self.type_combo.addItems(list(ENTRY_TYPES))
        self.type_combo.setCurrentText(paper.entry_type or "misc")
        self.type_combo.currentTextChanged.connect(self._type_changed)
        form.addRow("&Type:", self.type_combo)
        form.addRow("Citation &key:", self._line("key", paper.citation_key, "Citation key"))
        title = self._line("title", paper.title, "Title")
        form.addRow("&Title:", title)
        form.addRow("&Year or date:", self._line("when", date_text(paper), "Year or date", "2024 or 2024-05-17"))
        self.venue_label = QLabel(self._venue_label(), form_box)
        venue = self._line("venue", str(self._extra.get(self._venue, "")), "Venue")
        self.venue_label.setBuddy(venue)
        form.addRow(self.venue_label, venue)
        for label, name in FORM_FIELDS:
            form.addRow(f"{label}:", self._line(name, str(self._extra.get(name, "")), label))
        for label, name in LINK_FIELDS:
            value = (paper.url or "") if name == "url" else str(self._extra.get(name, ""))
            form.addRow(f"{label}:", self._line(name, value, label))
        top.addWidget(form_box, 0, 0)

        written = self._written()
        self.authors = NamesTable("Authors", "authorsEditor", self)
        self.authors.set_names(list(paper.authors), written.get("author"))
        self.editors = NamesTable("Editors", "editorsEditor", self)
        self.editors.set_names(split_name_list(str(self._extra.get("editor", ""))), written.get("editor"))
        # The authors beside the form, as tall as it; the editors (few papers have them) and
        # the other fields below, side by side and only as tall as their rows.
        self.editors.compact()
        for title_text, table, row in (("Authors", self.authors, 0), ("Editors", self.editors, 1)):
            box = QGroupBox(title_text, self)
            QVBoxLayout(box).addWidget(table)
            top.addWidget(box, row, 1 - row)
            table.changed.connect(self._update)
        top.setRowStretch(0, 1)
        top.setRowStretch(1, 0)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)

        other_box = QGroupBox("Other fields", self)
        other = QVBoxLayout(other_box)
        self.other = QTableWidget(0, 2, other_box)
        self.other.setObjectName("otherFieldsTable")
        self.other.setAccessibleName("Other fields")
        self.other.setHorizontalHeaderLabels(["Field", "Value"])
        self.other.verticalHeader().setVisible(False)
        self.other.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.other.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._other_original: dict[str, str] = {}
        for name, value in self._extra.items():
            if name in SHOWN_ELSEWHERE or name in NOT_EDITABLE or name == self._venue:
                continue
            self._other_original[name] = str(value)
            self._add_other(name, str(value))
        self.other.itemChanged.connect(lambda _item: self._update())
        fit_rows(self.other, OTHER_ROWS)
        other.addWidget(self.other)
        other_buttons = QHBoxLayout()
        add = QPushButton("Add Field", other_box)
        add.setObjectName("addFieldButton")
        add.clicked.connect(lambda _=False: self._new_other())
        remove = QPushButton("Remove Field", other_box)
        remove.setObjectName("removeFieldButton")
        remove.clicked.connect(lambda _=False: self._remove_other())
        other_buttons.addWidget(add)
        other_buttons.addWidget(remove)
        other_buttons.addStretch(1)
        other.addLayout(other_buttons)
        top.addWidget(other_box, 1, 1)

        self.problem_label = wrapped_label("", "entryEditorProblem", self)
        self.problem_label.setStyleSheet("color: #a00000;")
        outer.addWidget(self.problem_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("entryEditorOk")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.setMinimumSize(MINIMUM_SIZE)
        self.resize(fitting_size(self, PREFERRED_SIZE))
        title.setFocus()
        self._update()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # The window's first focus selects the whole title and scrolls a long one to its end: show its start,
        # once the focus has arrived (a later Tab still selects, as everywhere).
        title = self.fields["title"][0]
        QTimer.singleShot(0, lambda: title.setCursorPosition(0) if title.selectedText() == title.text() else None)

    # --- Building ---

    def _line(self, name: str, value: str, accessible: str, placeholder: str = "") -> QLineEdit:
        line = QLineEdit(value, self)
        line.setObjectName(f"{name}Field")
        line.setAccessibleName(accessible)
        line.setPlaceholderText(placeholder)
        line.setCursorPosition(0)
        line.textChanged.connect(lambda _text: self._update())
        self.fields[name] = (line, value)
        return line

    def _venue_label(self) -> str:
        return {"journal": "&Journal:", "journaltitle": "&Journal:", "booktitle": "&Booktitle:"}[self._venue]

    def _written(self) -> dict[str, dict[str, str]]:
        """Each name list's names as the .bib entry wrote them (for their exact parts)."""
        source = self.paper.bibtex
        if source is None:
            return {}
        raw = {name.lower(): value for name, value in source.fields}
        return {field: names.written_names(raw.get(field)) for field in ("author", "editor")}

    def _add_other(self, name: str, value: str) -> None:
        row = self.other.rowCount()
        self.other.insertRow(row)
        self.other.setItem(row, 0, QTableWidgetItem(name))
        self.other.setItem(row, 1, QTableWidgetItem(value))

    def _new_other(self) -> None:
        self._add_other("", "")
        row = self.other.rowCount() - 1
        self.other.setCurrentCell(row, 0)
        item = self.other.item(row, 0)
        if item is not None:
            self.other.editItem(item)

    def _remove_other(self) -> None:
        row = self.other.currentRow()
        if row >= 0:
            self.other.removeRow(row)
            self._update()

    def _type_changed(self, text: str) -> None:
        self._venue = venue_field(text or "misc", self._extra)
        self.venue_label.setText(self._venue_label())
        self._update()

    # --- What changed, and whether it can be saved ---

    def changes(self) -> dict[str, Value]:
        """The fields the user changed, by BibTeX name; :class:`InvalidField` for the first bad one."""
        out: dict[str, Value] = {}
        kind = self.type_combo.currentText().strip()
        if kind.lower() != (self.paper.entry_type or "misc").lower():
            out["type"] = check_value("type", kind)
        for name in ("key", "title", *(f for _, f in FORM_FIELDS), *(f for _, f in LINK_FIELDS)):
            line, original = self.fields[name]
            if line.text().strip() != original.strip():
                out[name] = check_value(name, line.text()) or None
        line, original = self.fields["when"]
        if line.text().strip() != original.strip():
            out |= date_changes(self._extra, line.text())
        venue_line, venue_original = self.fields["venue"]
        old_venue = venue_field(self.paper.entry_type or "misc", self._extra)
        if self._venue != old_venue and self._extra.get(old_venue):
            out[old_venue] = None  # the venue moves to the field the new type reads
            out[self._venue] = venue_line.text().strip() or None
        elif venue_line.text().strip() != venue_original.strip():
            out[self._venue] = venue_line.text().strip() or None
        for table, name in ((self.authors, "author"), (self.editors, "editor")):
            problems = table.problems()
            if problems:
                raise InvalidField(problems[0])
            if table.is_changed():
                out[name] = table.stored()
        seen: set[str] = set()
        for row in range(self.other.rowCount()):
            name_item, value_item = self.other.item(row, 0), self.other.item(row, 1)
            name = (name_item.text() if name_item else "").strip().lower()
            value = value_item.text() if value_item else ""
            if not name and not value.strip():
                continue
            if not name:
                raise InvalidField(f"other fields, row {row + 1}: give the field a name")
            name = field_name(name)
            if name in seen or name in SHOWN_ELSEWHERE or name in ("author", "title", "url", "key", "type"):
                raise InvalidField(f"field {name!r}: already in the entry above")
            seen.add(name)
            if value.strip() != self._other_original.get(name, "").strip():
                out[name] = check_value(name, value) or None
        for name in self._other_original:
            if name not in seen:
                out[name] = None
        return out

    def _update(self) -> None:
        """Mark each bad field red with its reason, and allow OK only when everything can be saved."""
        problem = None
        for name, (line, original) in self.fields.items():
            reason = self._field_problem(name, line.text(), original)
            line.setStyleSheet(_INVALID if reason else "")
            line.setToolTip(reason or "")
            problem = problem or reason
        try:
            self.changes()
        except InvalidField as exc:
            problem = problem or str(exc)
        self.problem_label.setText(problem or "")
        self.ok_button.setEnabled(problem is None)

    def _field_problem(self, name: str, text: str, original: str) -> str | None:
        if text.strip() == original.strip():
            return None
        try:
            if name == "when":
                date_changes(self._extra, text)
            elif name == "venue":
                pass
            else:
                check_value(name, text)
        except InvalidField as exc:
            return str(exc)
        return None

    # --- Saving ---

    def operation(self) -> ops.EditFields | None:
        """The edit OK saves, or None when nothing changed; it carries the values the user saw of the fields."""
        changes: dict[str, Value] = {
            name: self._merged.get(name, value) for name, value in self.changes().items() if name not in self._dropped
        }
        if not changes:
            return None
        base = seen_values(self.paper, changes) | {n: t for n, t in self._seen_since.items() if n in changes}
        return ops.EditFields.of(self.paper.id, changes, base=base)

    def save(self) -> None:
        try:
            operation = self.operation()
        except InvalidField as exc:
            self.problem_label.setText(str(exc))
            return
        if operation is None:
            self.accept()
            return
        self.ok_button.setEnabled(False)
        self.problem_label.setText("Saving…")
        self._run(operation, on_done=lambda _outcome: self.accept(), on_error=self._refused)

    def _refused(self, exc: BaseException, details: str) -> None:
        """The library refused the edit (a key another paper has): say why, keep everything typed."""
        if not self.isVisible():
            # The edit's undo or redo (Edit ▸ Undo), refused after this dialog closed: said where the user is.
            from .errors import report_exception

            report_exception(self.parentWidget(), exc, details)
            return
        self.problem_label.setText(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        self.ok_button.setEnabled(True)
        if isinstance(exc, EditConflict) and self.conflict_dialog is None:
            self.conflict_dialog = ConflictDialog.ask(exc, self, self._settle)

    def _settle(self, dialog: ConflictDialog) -> None:
        """Save again with the user's choice; closed without one, the editor stays as it is (OK asks again)."""
        self.conflict_dialog = None
        if dialog.choice is None:
            return
        merged = dialog.merged_texts()
        for clash in dialog.conflict.clashes:
            self._seen_since[clash.field] = clash.theirs or ""
            if dialog.choice == THEIRS:
                self._dropped.add(clash.field)
            elif dialog.choice == MERGED:
                self._merged[clash.field] = merged[clash.field]
        self.save()
