"""The online commands: fetch the daily listing, complete papers from arXiv, cite a paper as its preprint.

File ▸ Fetch Daily Papers asks for a day (or every day since one), downloads
the listings on a worker (progress, Cancel), shows the same preview as a file
import (a dry run of each day, counts summed), imports each day as one undo
step, then completes the papers it added or matched from the arXiv API
(one more undo step). Paper ▸ Complete from arXiv does the last part for the
selection. The core does the work (:mod:`papershelf.core.online.fetching`).

The app contacts the network only for these commands, or at start-up if the
user said yes to the question asked once, on the first launch: then it
downloads today's listing (if it was not fetched yet) and says in the status
bar how many papers it holds, importing nothing. A network failure is one line
naming the URL and the reason, in the status bar (and, for a command, in a
window that does not block); nothing is changed, and everything else keeps
working offline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QDate, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.display import visible
from .commands import OperationCommand
from .dialogs.errors import one_line
from .dialogs.import_preview import ImportPreviewDialog
from .widgets.labels import progress_dialog, text_label, wrapped_label
from .wording import plural
from .workers import Task

if TYPE_CHECKING:
    from ..core import operations as ops
    from ..core.importers import Source
    from ..core.library import Library
    from ..core.online.fetching import Completed, DayResult
    from ..core.records import ImportResult
    from .main_window import MainWindow

log = logging.getLogger("papershelf.gui")

#: How many days back the fetch dialog looks for days not fetched yet.
RECENT_DAYS = 7
#: The host asked when HF_ENDPOINT is not usable (the question names it).
DEFAULT_HOST = "huggingface.co"

Listings = list[tuple[dt.date, "Source | None"]]


def today() -> dt.date:
    """The user's today (tests replace it)."""
    return dt.date.today()


def recent_unfetched(fetched: Collection[dt.date], day: dt.date) -> list[dt.date]:
    """The weekdays of the last :data:`RECENT_DAYS` days up to ``day`` whose listing was not fetched, oldest first."""
    days = (day - dt.timedelta(days=n) for n in range(RECENT_DAYS - 1, -1, -1))
    return [d for d in days if d.weekday() < 5 and d not in fetched]


def days_text(days: Sequence[dt.date]) -> str:
    """The days as text: ``2025-09-11``, or ``2025-09-08 to 2025-09-11`` for several."""
    if not days:
        return ""
    first, last = min(days), max(days)
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def _host() -> str:
    """The host the daily listings come from (what the dialogs tell the user is contacted)."""
    from urllib.parse import urlsplit

    from ..core.errors import PapershelfError
    from ..core.online import daily

    try:
        return urlsplit(daily.endpoint()).hostname or DEFAULT_HOST
    except PapershelfError:
        return DEFAULT_HOST


# --- File ▸ Fetch Daily Papers: the day to fetch -------------------------------------------------------------


class FetchDialog(QDialog):
    """The day to fetch (or every day since it) and whether to complete the papers from arXiv."""

    def __init__(self, fetched: Collection[dt.date], day: dt.date, host: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fetchDialog")
        self.setAccessibleName("Fetch daily papers")
        self.setWindowTitle("Fetch Daily Papers")
        self.setMinimumWidth(440)
        self._today = day
        missing = recent_unfetched(fetched, day)
        start = missing[0] if missing else day

        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.date_edit = QDateEdit(self)
        self.date_edit.setObjectName("fetchDateEdit")
        self.date_edit.setAccessibleName("Day to fetch")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMinimumDate(QDate(2023, 1, 1))
        self.date_edit.setMaximumDate(QDate(day.year, day.month, day.day))
        self.date_edit.setDate(QDate(start.year, start.month, start.day))
        form.addRow(text_label("Day to fetch:"), self.date_edit)
        self.since_check = QCheckBox("Every day since, up to today", self)
        self.since_check.setObjectName("fetchSinceCheck")
        # Several recent days are missing: fetching them all is what the user most likely wants.
        self.since_check.setChecked(len(missing) > 1)
        form.addRow(text_label(""), self.since_check)
        layout.addLayout(form)
        self.missing_note = wrapped_label("", "fetchMissingNote", self)
        if missing:
            shown = ", ".join(f"{d:%a} {d.day} {d:%b}" for d in missing)
            self.missing_note.setText(f"Not fetched yet this past week: {shown}.")
        else:
            self.missing_note.setText("Every weekday of this past week has been fetched.")
        layout.addWidget(self.missing_note)
        self.complete_check = QCheckBox("Complete papers from arXiv (authors, categories, DOI)", self)
        self.complete_check.setObjectName("fetchCompleteCheck")
        self.complete_check.setChecked(True)
        layout.addWidget(self.complete_check)
        self.privacy_note = wrapped_label(
            f"Asks {host} for each day's listing, then the arXiv API about the papers' arXiv ids. "
            "Nothing about your library is sent. You see what would be imported before anything is.",
            "fetchPrivacyNote",
            self,
        )
        layout.addWidget(self.privacy_note)
        self.buttons = QDialogButtonBox(self)
        self.fetch_button = self.buttons.addButton("Fetch", QDialogButtonBox.ButtonRole.AcceptRole)
        self.fetch_button.setObjectName("fetchButton")
        self.fetch_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("fetchCancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    @property
    def day(self) -> dt.date:
        # PySide6's stubs say toPython() returns object; for a QDate it is a datetime.date.
        return cast(dt.date, self.date_edit.date().toPython())

    def set_day(self, day: dt.date) -> None:
        self.date_edit.setDate(QDate(day.year, day.month, day.day))

    def days(self) -> list[dt.date]:
        """The days to fetch, oldest first."""
        from ..core.online import daily

        if self.since_check.isChecked():
            return daily.days_between(self.day, max(self.day, self._today))
        return [self.day]

    @property
    def complete(self) -> bool:
        return self.complete_check.isChecked()


# --- The question asked once, on the first launch -----------------------------------------------------------


class StartupQuestion(QFrame):
    """A bar above the window's panes: check for new listings at start-up? It never blocks the window."""

    answered = Signal(bool)

    def __init__(self, host: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startupQuestion")
        self.setAccessibleName("Check for new listings at start-up?")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        self.label = wrapped_label(
            "Check for a new daily papers listing each time Papershelf starts? "
            f"It asks {host} for today's listing and imports nothing until you choose File ▸ Fetch Daily Papers.",
            "startupQuestionText",
            self,
        )
        row.addWidget(self.label, 1)
        self.yes_button = QPushButton("Check at Start-up", self)
        self.yes_button.setObjectName("startupCheckYes")
        self.no_button = QPushButton("Don't Check", self)
        self.no_button.setObjectName("startupCheckNo")
        for button, answer in ((self.yes_button, True), (self.no_button, False)):
            button.clicked.connect(lambda _=False, answer=answer: self.answered.emit(answer))
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)


# --- The flow ------------------------------------------------------------------------------------------------


class FetchFlow(QObject):
    """Drives the online commands of one window, on the library it has open."""

    #: Fetching or completing is under way (one at a time).
    busyChanged = Signal(bool)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.busy = False
        self.dialog: FetchDialog | None = None
        self.preview: ImportPreviewDialog | None = None
        self.progress: QProgressDialog | None = None
        self.task: Task | None = None
        self.question: StartupQuestion | None = None
        self.error_box: QMessageBox | None = None
        #: Tasks on threads of their own (downloads), kept alive until they end.
        self._detached: set[Task] = set()
        self._startup_checked = False
        window.libraryOpened.connect(self._library_opened)

    # --- Messages -------------------------------------------------------------------------------------------

    def _status(self, text: str, ms: int = 15000) -> None:
        self._w.statusBar().showMessage(text, ms)

    def _set_busy(self, busy: bool) -> None:
        if self.busy != busy:
            self.busy = busy
            self.busyChanged.emit(busy)

    def _idle(self) -> None:
        self.task = None
        self._set_busy(False)

    def _failed(
        self, what: str, doing: str, exc: BaseException, details: str, *, unchanged: str, box: bool = True
    ) -> None:
        """A step failed: cancelled, the network (one line, not blocking), or a bug (the error dialog)."""
        from ..core.errors import PapershelfError
        from ..core.library import Cancelled
        from ..core.online.http import NetworkError

        if isinstance(exc, Cancelled) or (isinstance(exc, NetworkError) and exc.reason == "cancelled"):
            self._status(f"{what} cancelled; {unchanged}.")
        elif isinstance(exc, PapershelfError):
            self.network_problem(f"Could not {doing}: {one_line(str(exc))}. {unchanged.capitalize()}.", box=box)
        else:
            self._w.report_error(exc, details)
        self._idle()

    def network_problem(self, line: str, *, box: bool = True) -> None:
        """Say what failed in the status bar and the log, and (for a command the user gave) in a window that does not block."""
        line = visible(line)
        log.warning("online: %s", line)
        self._status(line, 60000)
        if not box:
            return
        if self.error_box is not None:
            self.error_box.close()
        message = QMessageBox(self._w)
        message.setObjectName("networkErrorDialog")
        message.setAccessibleName("Network problem")
        message.setIcon(QMessageBox.Icon.Warning)
        message.setWindowTitle("Papershelf")
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setText(line)
        message.setInformativeText("Everything else works offline.")
        message.setStandardButtons(QMessageBox.StandardButton.Ok)
        message.setWindowModality(Qt.WindowModality.NonModal)
        message.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        message.destroyed.connect(lambda _=None, m=message: self._box_gone(m))
        self.error_box = message
        message.show()

    def _box_gone(self, box: QMessageBox) -> None:
        if self.error_box is box:
            self.error_box = None

    # --- Running a step -------------------------------------------------------------------------------------

    def _step(
        self,
        title: str,
        label: str,
        job: Callable[[Task], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException, str], None],
        *,
        cancel: str = "wait",
        pool: str = "io",
    ) -> Task:
        """Run ``job(task)`` on a worker behind a progress dialog.

        ``cancel`` is what Cancel does: "drop" stops listening at once (a
        download, which changes nothing; it runs on a thread of its own, so a
        hanging server never holds up anything else, closing the app
        included), "wait" asks the job to stop and waits for it to say so
        (it may be writing), "none" offers no Cancel.
        """
        task: Task = Task(lambda: job(task))
        progress = progress_dialog(label, title, name="fetchProgress", accessible=title, parent=self._w)
        if cancel == "none":
            progress.setCancelButton(None)
        self.progress, self.task = progress, task
        dropped = False

        def close() -> None:
            if self.progress is progress:
                self.progress = None
            progress.canceled.disconnect(cancelled)  # closing a progress dialog says "canceled"
            progress.close()
            progress.deleteLater()

        def cancelled() -> None:
            nonlocal dropped
            task.cancel()
            if cancel == "drop":
                dropped = True
                close()
                from ..core.library import Cancelled

                failed(Cancelled("cancelled"), "")
            else:
                self._status(f"{title}: cancelling…", 0)

        def shown(value: object) -> None:
            what, n, total = cast(tuple[str, int, int], value)
            if dropped:
                return
            progress.setLabelText(f"{what}…" + (f" ({n + 1 if n < total else n} of {total})" if total > 1 else ""))
            if total > 1:
                progress.setRange(0, total)
                progress.setValue(n)

        def succeeded(result: Any) -> None:
            if not dropped:
                close()
                done(result)

        def went_wrong(exc: BaseException, details: str) -> None:
            if not dropped:
                close()
                failed(exc, details)

        progress.canceled.connect(cancelled)
        task.partial.connect(shown)
        task.succeeded.connect(succeeded)
        task.failed.connect(went_wrong)
        if cancel == "drop":
            self._detach(task)
        else:
            task.start(pool)
        return task

    def _detach(self, task: Task) -> None:
        """Run a task that touches no library on a daemon thread: closing the app never waits for the network."""
        self._detached.add(task)
        task.finished.connect(lambda: self._detached.discard(task))
        threading.Thread(target=task._run, name="papershelf-online", daemon=True).start()

    @staticmethod
    def _reporter(task: Task) -> Callable[[str, int, int], None]:
        return lambda what, n, total: task.deliver((what, n, total))

    def cancel(self) -> None:
        """The window is closing: stop what runs (a download is dropped; a completion stops before it writes)."""
        if self.task is not None and not self.task.done:
            self.task.cancel()
        for task in list(self._detached):
            task.cancel()

    # --- File ▸ Fetch Daily Papers --------------------------------------------------------------------------

    def open_dialog(self) -> None:
        """File ▸ Fetch Daily Papers: choose the day(s), then fetch."""
        library = self._w.library
        if library is None:
            return
        if self.busy:
            self._status("Papershelf is already fetching or completing papers; wait for it to finish.")
            return
        dialog = FetchDialog(library.fetched_days(), today(), _host(), self._w)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog

        def finished(code: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            if code == QDialog.DialogCode.Accepted:
                self.fetch(dialog.days(), complete=dialog.complete)

        dialog.finished.connect(finished)
        dialog.open()

    def fetch(self, days: Sequence[dt.date], *, complete: bool = True) -> None:
        """Download the listings of ``days``, preview them, import them, then (with ``complete``) complete them."""
        library = self._w.library
        if library is None or self.busy or not days:
            return
        self._w.detail.flush()  # a pending note must not wait behind the import
        self._set_busy(True)
        days = sorted(days)

        def job(task: Task) -> Listings:
            from ..core.online import fetching

            web = fetching.client(cancelled=lambda: task.cancel_requested)
            return fetching.download_days(web, days, progress=self._reporter(task))

        self._step(
            "Fetching Daily Papers",
            f"Fetching the daily papers of {days_text(days)}…",
            job,
            lambda listings: self._downloaded(library, days, listings, complete),
            lambda exc, details: self._failed(
                "Fetch", "fetch the daily papers", exc, details, unchanged="nothing was imported"
            ),
            cancel="drop",
        )

    def _downloaded(self, library: Library, days: list[dt.date], listings: Listings, complete: bool) -> None:
        if library is not self._w.library:  # the library was closed meanwhile
            self._idle()
            return
        if all(source is None for _, source in listings):
            self._import(library, days, listings, complete=False)
            return

        def job(task: Task) -> list[DayResult]:
            from ..core.library import Cancelled
            from ..core.online import fetching

            results = []
            for day, source in listings:
                if task.cancel_requested:
                    raise Cancelled("cancelled")
                results.append(fetching.import_day(library, day, source, dry_run=True))
            return results

        self._step(
            "Reading Listings",
            "Checking the listings against the library…",
            job,
            lambda results: self._show_preview(library, days, listings, results, complete),
            lambda exc, details: self._failed(
                "Fetch", "read the daily papers", exc, details, unchanged="nothing was imported"
            ),
        )

    def _show_preview(
        self, library: Library, days: list[dt.date], listings: Listings, results: list[DayResult], complete: bool
    ) -> None:
        if library is not self._w.library:
            self._idle()
            return
        combined = combine(results)
        listed = [r.day for r in results if r.result is not None]
        dialog = ImportPreviewDialog(f"the daily papers of {days_text(days)}", combined, self._w)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        # The day is the API's, not a guess from a text page: nothing to correct.
        dialog.date_edit.setEnabled(False)
        dialog.date_edit.setToolTip("The day the listing was fetched for.")
        empty = [d for d in days if d not in listed]
        note = f"Fetched from {_host()}"
        if len(listed) > 1:
            note += f": the listings of {len(listed)} days, counted together"
        if empty:
            note += f"; nothing listed on {', '.join(d.isoformat() for d in empty)}"
        dialog.date_note.setText(note + ".")
        self.preview = dialog

        def finished(code: int) -> None:
            self.preview = None
            dialog.deleteLater()
            if code == QDialog.DialogCode.Accepted and library is self._w.library:
                self._import(library, days, listings, complete=complete)
            else:
                self._status(f"Fetch of {days_text(days)} cancelled; nothing was imported.")
                self._idle()

        dialog.finished.connect(finished)
        dialog.open()

    def _import(self, library: Library, days: list[dt.date], listings: Listings, *, complete: bool) -> None:
        def job(_task: Task) -> tuple[list[DayResult], BaseException | None, str]:
            import traceback

            from ..core.online import fetching

            done: list[DayResult] = []
            for day, source in listings:
                try:
                    done.append(fetching.import_day(library, day, source))
                except Exception as exc:  # the days before it are imported: they keep their undo steps
                    return done, exc, traceback.format_exc()
            return done, None, ""

        self._step(
            "Importing",
            f"Importing the daily papers of {days_text(days)}…",
            job,
            lambda outcome: self._imported(library, days, *outcome, complete=complete),
            lambda exc, details: self._failed(
                "Import", "import the daily papers", exc, details, unchanged="nothing was imported"
            ),
            cancel="none",
        )

    def _imported(
        self,
        library: Library,
        days: list[dt.date],
        results: list[DayResult],
        error: BaseException | None,
        details: str,
        *,
        complete: bool,
    ) -> None:
        w = self._w
        added = existing = 0
        ids: list[int] = []
        shown_day: dt.date | None = None
        for day in results:
            result = day.result
            if result is None:
                continue
            added += result.added
            existing += result.existing
            ids += result.paper_ids
            shown_day = day.day
            if result.undo is not None and (result.added or result.existing) and library is w.library:
                # Edit ▸ Undo takes one day's import back out, as the import of a file.
                self._push_done(library, f"Import the daily papers of {day.day.isoformat()}", result.undo)
        if shown_day is not None:
            text = f"Imported {plural(added, 'new paper')} from the daily papers of {days_text(days)}"
            if existing:
                text += f"; {existing:,} already in the library"
            w.statusBar().showMessage(text + ".", 15000)
            if library is w.library:
                w.show_imported(shown_day)
        if error is not None:
            self._failed(
                "Import", "import the daily papers", error, details, unchanged="the days before it were imported"
            )
            return
        if shown_day is None:
            self._status(f"No papers were listed on {days_text(days)}.")
            self._idle()
            return
        ids = list(dict.fromkeys(ids))
        if complete and ids and library is w.library:
            self._complete(library, ids, after=text)
        else:
            self._idle()

    def _push_done(self, library: Library, label: str, undo: ops.Operation) -> None:
        w = self._w
        OperationCommand.already_done(w.runner, library, label, undo, w.report_error).push_to(w.undo_stack)

    # --- Completing papers ----------------------------------------------------------------------------------

    def complete_selection(self) -> None:
        """Paper ▸ Complete from arXiv: the highlighted papers."""
        library = self._w.library
        ids = self._w.table.selected_ids()
        if library is None or not ids:
            return
        if self.busy:
            self._status("Papershelf is already fetching or completing papers; wait for it to finish.")
            return
        self._set_busy(True)
        self._complete(library, ids)

    def _complete(self, library: Library, ids: list[int], *, after: str = "") -> None:
        def job(task: Task) -> Completed:
            from ..core.online import fetching

            web = fetching.client(cancelled=lambda: task.cancel_requested)
            return fetching.complete(library, web, ids, progress=self._reporter(task))

        self._step(
            "Completing Papers",
            f"Completing {plural(len(ids), 'paper')} from arXiv…",
            job,
            lambda done: self._completed(library, ids, done, after),
            lambda exc, details: self._failed(
                "Completion",
                "complete the papers from arXiv",
                exc,
                details,
                unchanged="the papers were not completed",
            ),
            pool="online",
        )

    def _completed(self, library: Library, ids: list[int], done: Completed, after: str) -> None:
        from ..core import operations as ops

        w = self._w
        if library is w.library:
            if done.undo is not None:
                self._push_done(library, done.undo.label, done.undo)
            w.edits.refresh_views(ops.Changes(papers=frozenset(ids)))
            if done.matched:
                w.sidebar_controller.schedule_refresh()
        for problem in done.problems:
            log.info("online: %s", problem)
        text = f"Completed {plural(done.completed, 'paper')} from arXiv"
        if done.matched:
            text += f"; {done.matched:,} matched to their daily listing"
        if done.asked == 0 and not done.matched:
            text = "No paper to complete from arXiv: they have no arXiv id"
        if len(done.problems) == 1:
            text += f"; {one_line(done.problems[0], 120)}"
        elif done.problems:
            text += f"; {len(done.problems)} problems (arXiv did not know some ids)"
        if done.failed:  # a request failed: what it would have added is not there, the rest is kept
            from ..core.errors import PapershelfError

            kept = f"{plural(done.matched, 'paper')} matched to their daily listing are kept" if done.matched else ""
            unchanged = kept or "the papers were not completed"
            self._failed(
                "Completion", "complete the papers from arXiv", PapershelfError(done.failed[0]), "", unchanged=unchanged
            )
            return
        w.statusBar().showMessage(visible((after + ". " if after else "") + text + "."), 20000)
        self._idle()

    # --- Paper ▸ Cite as Preprint ---------------------------------------------------------------------------

    def set_cite_as_preprint(self, preprint: bool) -> None:
        """Paper ▸ Cite as Preprint (checked) or as the published version once there is one (unchecked)."""
        from ..core import operations as ops

        ids = self._w.table.selected_ids()
        if ids:
            self._w.edits.run(ops.SetCiteAs(tuple(ids), "preprint" if preprint else "auto"))

    # --- Start-up: the question asked once, then the check if the user said yes ------------------------------

    def _library_opened(self) -> None:
        settings = self._w.settings
        if not settings.startup_check_asked:
            self.ask_startup_question()
        elif settings.check_listings_at_startup and not self._startup_checked:
            self._startup_checked = True
            # After the window shows, on a worker: start-up never waits for the network.
            QTimer.singleShot(0, self.check_for_new_listing)

    def ask_startup_question(self) -> None:
        """The bar asking whether to check for new listings at start-up (shown on the first launch only)."""
        if self.question is not None:
            return
        # Asked once: a user who closes the app without answering is not asked again (the answer is then no).
        self._w.settings.startup_check_asked = True
        question = StartupQuestion(_host(), self._w)
        question.answered.connect(self.answer_startup_question)
        self._w.show_notice(question)
        self.question = question

    def answer_startup_question(self, check: bool) -> None:
        """The user's answer (from the bar, or File ▸ Check for New Listings at Start-up)."""
        settings = self._w.settings
        settings.check_listings_at_startup = check
        settings.startup_check_asked = True
        settings.sync()
        if self.question is not None:
            self.question.hide()
            self.question.deleteLater()
            self.question = None
        self._w.acts.startup_check_action.setChecked(check)
        if check:
            self._status("Papershelf will check for a new listing each time it starts.", 8000)
            if not self._startup_checked:
                self._startup_checked = True
                self.check_for_new_listing()
        else:
            self._status("Papershelf will not contact the network unless you fetch or complete papers.", 8000)

    def check_for_new_listing(self) -> None:
        """Download today's listing, if not fetched yet, and say how many papers it holds (importing nothing)."""
        library = self._w.library
        if library is None:
            return
        day = today()
        try:
            if day in library.fetched_days():
                return
        except Exception as exc:  # a damaged library is reported where it is used, not by a background check
            log.warning("online: could not read the fetched days: %s", exc)
            return

        def job(task: Task) -> int:
            from ..core.online import fetching

            web = fetching.client(cancelled=lambda: task.cancel_requested)
            [(_day, source)] = fetching.download_days(web, [day])
            if source is None or source.data is None:
                return 0
            listing = json.loads(source.data)
            return len(listing) if isinstance(listing, list) else 0

        def done(count: int) -> None:
            if count:
                self._status(
                    f"New listing for {day.isoformat()}: {plural(count, 'paper')} — "
                    "File ▸ Fetch Daily Papers to import",
                    0,
                )
            else:
                log.info("online: nothing listed yet for %s", day)

        def failed(exc: BaseException, details: str) -> None:
            from ..core.errors import PapershelfError

            if isinstance(exc, PapershelfError):
                self.network_problem(f"Could not check for a new listing: {one_line(str(exc))}", box=False)
            else:
                log.error("online: the start-up check failed: %s\n%s", exc, details)

        task: Task = Task(lambda: job(task))
        task.succeeded.connect(done)
        task.failed.connect(failed)
        self._detach(task)


def combine(results: Sequence[DayResult]) -> ImportResult:
    """One preview for several days: the counts summed, the notes of each day (named when there are several)."""
    from ..core.records import ImportResult

    days = [r for r in results if r.result is not None]
    combined = ImportResult(file=days_text([r.day for r in results]), format="hf-json")
    for day in days:
        result = day.result
        assert result is not None
        prefix = f"{day.day.isoformat()}: " if len(days) > 1 else ""
        combined.added += result.added
        combined.existing += result.existing
        combined.paper_ids += result.paper_ids
        combined.listing_dates += [d for d in result.listing_dates if d not in combined.listing_dates]
        combined.problems += [prefix + p for p in result.problems]
        combined.warnings += [prefix + p for p in result.warnings]
        combined.merged += [prefix + p for p in result.merged]
        combined.duplicates += [prefix + p for p in result.duplicates]
    combined.listing_dates.sort()
    return combined
