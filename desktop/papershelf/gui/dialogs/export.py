"""The export dialog: what to export (a list, a tag, the search, the selection), how, and where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...core.display import visible
from ..widgets.labels import text_label

FORMAT_LABELS = {
    "bibtex": "BibTeX (ASCII, for bibtex and natbib)",
    "biblatex": "biblatex (UTF-8, for biber)",
    "csl-json": "CSL-JSON (Zotero, Pandoc)",
    "ris": "RIS (EndNote, Mendeley)",
    "markdown": "Markdown reading list",
}
DEFAULT_EXTENSIONS = {"bibtex": ".bib", "biblatex": ".bib", "csl-json": ".json", "ris": ".ris", "markdown": ".md"}

SELECTION, SEARCH, LIST, TAG, SAVED = "selection", "search", "list", "tag", "saved"
#: The scopes a file can follow ("Keep updated"), by the kind of live file they make.
LIVE_KINDS = {LIST: "list", TAG: "tag", SAVED: "search"}


@dataclass
class ExportRequest:
    scope: str
    #: The list or tag name, for those scopes.
    value: str
    fmt: str
    path: Path
    abstract: bool
    notes: bool
    #: Bind the file: rewrite it after every change (a list, tag or saved search only).
    keep_updated: bool = False


class ExportDialog(QDialog):
    def __init__(
        self,
        *,
        formats: list[str],
        extensions: dict[str, str],
        selection_count: int,
        search_count: int,
        lists: list[str],
        tags: list[str],
        folder: str,
        saved: list[str] | None = None,
        scope: str = SEARCH,
        value: str = "",
        fmt: str = "bibtex",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setAccessibleName("Export")
        self.setWindowTitle("Export Papers")
        self.setMinimumWidth(480)
        self._folder = folder
        self._extensions = extensions
        self.request: ExportRequest | None = None
        layout = QVBoxLayout(self)

        scope_box = QGroupBox("Papers", self)
        grid = QGridLayout(scope_box)
        self._scopes = QButtonGroup(self)
        self.scope_buttons: dict[str, QRadioButton] = {}

        def radio(key: str, text: str, row: int, enabled: bool = True) -> QRadioButton:
            button = QRadioButton(text, scope_box)
            button.setObjectName(f"exportScope{key.capitalize()}")
            button.setEnabled(enabled)
            self._scopes.addButton(button)
            self.scope_buttons[key] = button
            grid.addWidget(button, row, 0)
            return button

        radio(SELECTION, f"Selected papers ({selection_count:,})", 0, selection_count > 0)
        radio(SEARCH, f"Papers shown by the current search ({search_count:,})", 1, search_count > 0)
        radio(LIST, "Reading list", 2, bool(lists))
        self.list_combo = QComboBox(scope_box)
        self.list_combo.setObjectName("exportListCombo")
        self.list_combo.setAccessibleName("Reading list to export")
        for name in lists:  # shown through visible(), the stored name kept as item data
            self.list_combo.addItem(visible(name), name)
        grid.addWidget(self.list_combo, 2, 1)
        radio(TAG, "Tag", 3, bool(tags))
        self.tag_combo = QComboBox(scope_box)
        self.tag_combo.setObjectName("exportTagCombo")
        self.tag_combo.setAccessibleName("Tag to export")
        for name in tags:
            self.tag_combo.addItem(visible(name), name)
        grid.addWidget(self.tag_combo, 3, 1)
        saved = saved or []
        radio(SAVED, "Saved search", 4, bool(saved))
        self.saved_combo = QComboBox(scope_box)
        self.saved_combo.setObjectName("exportSavedCombo")
        self.saved_combo.setAccessibleName("Saved search to export")
        for name in saved:
            self.saved_combo.addItem(visible(name), name)
        grid.addWidget(self.saved_combo, 4, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(scope_box)
        self.list_combo.activated.connect(lambda _i: self.scope_buttons[LIST].setChecked(True))
        self.tag_combo.activated.connect(lambda _i: self.scope_buttons[TAG].setChecked(True))
        self.saved_combo.activated.connect(lambda _i: self.scope_buttons[SAVED].setChecked(True))

        form = QFormLayout()
        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("exportFormat")
        self.format_combo.setAccessibleName("Format")
        for name in formats:
            self.format_combo.addItem(FORMAT_LABELS.get(name, name), name)
        form.addRow(text_label("Format:"), self.format_combo)
        self.abstract_check = QCheckBox("Include abstracts", self)
        self.abstract_check.setObjectName("exportAbstracts")
        self.abstract_check.setChecked(True)
        form.addRow(text_label(""), self.abstract_check)
        self.notes_check = QCheckBox("Include my notes (private; off by default)", self)
        self.notes_check.setObjectName("exportNotes")
        form.addRow(text_label(""), self.notes_check)
        self.keep_updated_check = QCheckBox("Keep updated: rewrite the file after every change", self)
        self.keep_updated_check.setObjectName("exportKeepUpdated")
        self.keep_updated_check.setToolTip(
            "The file follows the reading list, tag or saved search: adding or removing a paper, or editing one, "
            "rewrites it (only when its content changes)."
        )
        form.addRow(text_label(""), self.keep_updated_check)
        layout.addLayout(form)
        self._scopes.buttonToggled.connect(lambda _b, _on: self._scope_changed())

        buttons = QDialogButtonBox(self)
        self.export_button = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.export_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._choose_file)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        index = self.format_combo.findData(fmt)
        self.format_combo.setCurrentIndex(max(index, 0))
        if value:
            combo = {LIST: self.list_combo, SAVED: self.saved_combo}.get(scope, self.tag_combo)
            combo.setCurrentIndex(max(combo.findData(value, Qt.ItemDataRole.UserRole, Qt.MatchFlag.MatchExactly), 0))
        wanted = self.scope_buttons.get(scope)
        if wanted is None or not wanted.isEnabled():
            wanted = next((b for b in self.scope_buttons.values() if b.isEnabled()), None)
        if wanted is not None:
            wanted.setChecked(True)
        self.export_button.setEnabled(wanted is not None)
        self._scope_changed()

    def _scope_changed(self) -> None:
        """Only a list, tag or saved search can be followed; the selection or a typed search cannot."""
        live = self.scope()[0] in LIVE_KINDS
        self.keep_updated_check.setEnabled(live)
        if not live:
            self.keep_updated_check.setChecked(False)

    def scope(self) -> tuple[str, str]:
        for key, button in self.scope_buttons.items():
            if button.isChecked():
                if key == LIST:
                    return key, self.list_combo.currentData()
                if key == TAG:
                    return key, self.tag_combo.currentData()
                if key == SAVED:
                    return key, self.saved_combo.currentData()
                return key, ""
        return SEARCH, ""

    def _suggested_name(self, fmt: str) -> str:
        scope, value = self.scope()
        stem = value if scope in LIVE_KINDS and value else "papershelf-export"
        stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem).strip("-.") or "papershelf-export"
        return stem + self._extensions.get(fmt, DEFAULT_EXTENSIONS.get(fmt, ".txt"))

    def _choose_file(self) -> None:
        fmt = self.format_combo.currentData()
        suggested = str(Path(self._folder) / self._suggested_name(fmt))
        ext = self._extensions.get(fmt, DEFAULT_EXTENSIONS.get(fmt, ""))
        filters = f"{FORMAT_LABELS.get(fmt, fmt)} (*{ext});;All files (*)" if ext else "All files (*)"
        path, _filter = QFileDialog.getSaveFileName(self, "Export Papers", suggested, filters)
        if not path:
            return
        scope, value = self.scope()
        self.request = ExportRequest(
            scope=scope,
            value=value,
            fmt=fmt,
            path=Path(path),
            abstract=self.abstract_check.isChecked(),
            notes=self.notes_check.isChecked(),
            keep_updated=self.keep_updated_check.isChecked() and scope in LIVE_KINDS,
        )
        self.accept()
