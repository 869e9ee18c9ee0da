"""The import preview: what an import would do, before anything is written."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.display import visible
from ..widgets.labels import text_label, wrapped_label

if TYPE_CHECKING:
    from ...core.records import ImportResult

FORMAT_NAMES = {"hf-text": "Daily papers page (text)", "hf-json": "Daily papers (JSON)", "bibtex": "BibTeX"}


class ImportPreviewDialog(QDialog):
    """Counts of new and known papers and the listing date, with Import and Cancel.

    Changing the date asks for a new preview (``dateChanged``); the owner
    runs it and calls :meth:`set_result`.
    """

    dateChanged = Signal(object)

    def __init__(self, source_name: str, result: ImportResult, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importPreviewDialog")
        self.setAccessibleName("Import preview")
        self.setWindowTitle("Import Preview")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        heading = wrapped_label(f"Import {visible(source_name)}?", "previewHeading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        form = QFormLayout()
        self.format_label = wrapped_label("", "previewFormat")
        form.addRow(text_label("Format:"), self.format_label)
        self.new_label = wrapped_label("", "previewNew")
        form.addRow(text_label("New papers:"), self.new_label)
        self.existing_label = wrapped_label("", "previewExisting")
        form.addRow(text_label("Already in the library:"), self.existing_label)
        self.date_edit = QDateEdit(self)
        self.date_edit.setObjectName("listingDateEdit")
        self.date_edit.setAccessibleName("Listing date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setToolTip("Text listings have no year: correct the date if it is wrong.")
        self.date_edit.setMinimumDate(QDate(1990, 1, 1))
        # Shown (instead of a made-up date) when the file has no listing date.
        self.date_edit.setSpecialValueText("none")
        form.addRow(text_label("Listing date:"), self.date_edit)
        self.date_note = wrapped_label("", "previewDateNote")
        self.date_note.setEnabled(False)
        form.addRow(text_label(""), self.date_note)
        layout.addLayout(form)
        self.problems = QPlainTextEdit(self)
        self.problems.setObjectName("previewProblems")
        self.problems.setAccessibleName("Entries merged, flagged, warned about or skipped")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(120)
        layout.addWidget(self.problems)
        self.status = wrapped_label("", "previewStatus")
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("previewImportButton")
        self.import_button.setAccessibleName("Import")
        self.import_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("previewCancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._date_timer = QTimer(self)
        self._date_timer.setSingleShot(True)
        self._date_timer.setInterval(300)
        self._date_timer.timeout.connect(self._emit_date)
        self._override: dt.date | None = None
        self._shown_date: dt.date | None = None
        # Not `result`: that would hide QDialog.result(), the dialog's accept/reject code.
        self.import_result: ImportResult = result
        self.set_result(result)
        self.date_edit.dateChanged.connect(lambda _d: self._date_timer.start())

    @property
    def listing_date(self) -> dt.date | None:
        """The date the user chose, or None to keep the listing's own."""
        return self._override

    def set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy and self.import_result.total > 0)
        self.status.setText("Checking the listing again…" if busy else self._summary())

    def set_result(self, result: ImportResult) -> None:
        self.import_result = result
        self.format_label.setText(FORMAT_NAMES.get(result.format, result.format))
        self.new_label.setText(f"{result.added:,}")
        self.existing_label.setText(f"{result.existing:,}")
        dates = result.listing_dates
        self.date_edit.blockSignals(True)
        if dates:
            self._shown_date = dates[0]
            self.date_edit.setDate(QDate(dates[0].year, dates[0].month, dates[0].day))
            self.date_edit.setEnabled(True)
            self.date_note.setText(
                "" if len(dates) == 1 else f"The listing spans {len(dates)} dates; a new date applies to all of them."
            )
        else:
            self._shown_date = None
            self.date_edit.setDate(self.date_edit.minimumDate())
            self.date_edit.setEnabled(False)
            self.date_note.setText("This file has no listing date.")
        self.date_edit.blockSignals(False)
        notes = result.notes()  # merges, possible duplicates, warnings, skipped entries
        self.problems.setPlainText("\n".join(visible(p) for p in notes))
        self.problems.setVisible(bool(notes))
        self.set_busy(False)

    def _summary(self) -> str:
        result = self.import_result
        if result.total == 0:
            return "The listing has no papers."
        text = f"{result.added:,} new paper{'s' if result.added != 1 else ''} will be added"
        if result.existing:
            if result.listing_dates:
                text += f"; {result.existing:,} already in the library will be marked as listed on this date"
            else:
                text += f"; {result.existing:,} already in the library will get any fields they lack"
        if result.problems:
            text += f"; {len(result.problems)} entr{'ies' if len(result.problems) != 1 else 'y'} will be skipped"
        return text + "."

    def accept(self) -> None:
        """Import with the date as shown, even if the user typed it a moment ago.

        The preview refresh waits for typing to pause; pressing Enter or
        Import before then must not import under the old date. (The counts
        do not depend on the date: papers are matched by id and title.)
        """
        self._date_timer.stop()
        if self.date_edit.isEnabled():
            chosen = self._chosen_date()
            if chosen != self._shown_date:
                self._override = chosen
        super().accept()

    def _chosen_date(self) -> dt.date:
        # PySide6's stubs say toPython() returns object; for a QDate it is a datetime.date.
        return cast(dt.date, self.date_edit.date().toPython())

    def _emit_date(self) -> None:
        chosen = self._chosen_date()
        if chosen == self._shown_date:
            return
        self._override = chosen
        self.set_busy(True)
        self.dateChanged.emit(chosen)
