"""PDFs in the window: attach (drop, Paper ▸ Attach PDF…), download arXiv PDFs (D), read them into the search index,
open them with the system's viewer (Enter), and the automatic download for a tag or list.

Reading files, the network and the index all run on a worker, one job at a time;
the status bar shows what runs, with its progress and a Cancel button. Changes to
the library go through the core: an attach is one operation on the undo stack
(the file is copied first, on the worker; the operation only records it), a
download is attached by the core as it arrives. A broken or missing file is one
line in the status bar naming it, never a dialog with a traceback.

Enter opens the paper's PDF when it has a readable one, and its web page
otherwise (the status bar says so): Enter has always meant "open this paper",
and a user with no PDF still expects to get to the paper. Shift+Enter always
opens the web page.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
)

from ..core.display import visible
from . import pdf_messages as messages
from .dialogs.auto_download import AutoDownloadDialog
from .dialogs.errors import one_line
from .dialogs.folders import start_folder
from .links import open_file
from .widgets.attachments_view import short
from .widgets.job_progress import JobProgress
from .wording import plural
from .workers import Task

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.operations.downloads import AutoRule
    from .main_window import MainWindow

log = logging.getLogger("papershelf.gui")

#: The worker pool of the PDF jobs (a long download never holds up an import or a search).
POOL = "pdf"


def name_of(path: Path) -> str:
    return short(path.name, 80)


# --- The flow ---------------------------------------------------------------------------------------------


@dataclass
class _Job:
    """One background job: ``run(task)`` on the worker, then ``done(result)`` on the GUI thread."""

    title: str
    run: Callable[[Task], Any]
    done: Callable[[Any], None]
    library: Library
    what: str = "PDF work"
    follow: list[_Job] = field(default_factory=list)


class PdfFlow(QObject):
    """The PDF commands of one window, on the library it has open."""

    #: A job started or the last one ended.
    busyChanged = Signal(bool)
    #: Attachments or their text changed: the table's marker and the detail pane show them again.
    pdfsChanged = Signal()

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.progress = JobProgress(window)
        window.statusBar().addPermanentWidget(self.progress)
        self.progress.cancelRequested.connect(self.cancel)
        # Esc that nothing else took (the table, the window; the search field clears itself first): Cancel.
        window.installEventFilter(self)
        self._jobs: deque[_Job] = deque()
        #: The queued reading of the attachments not read yet (see read_pending).
        self._pending_job: _Job | None = None
        self.task: Task | None = None
        self._job: _Job | None = None
        self.auto_dialog: AutoDownloadDialog | None = None
        #: What the last finished job said (tests read it; the status bar shows it).
        self.last_message = ""
        window.libraryOpened.connect(self._library_opened)
        window.runner.applied.connect(self._applied)
        window.table.pdfsDropped.connect(self.attach_files)
        window.table.pdfsDroppedAside.connect(self.attach_dropped)
        window.detail.pdfsDropped.connect(self.attach_files)
        window.detail.locateRequested.connect(self.locate)
        window.detail.openPdfRequested.connect(self.open_attachment)
        window.detail.removePdfRequested.connect(self.remove_attachment)
        self.pdfsChanged.connect(self._refresh_views)
        # Reading the markers again after changes: once for a burst of them (triage changes a paper a second).
        self._marks_timer = QTimer(self)
        self._marks_timer.setSingleShot(True)
        self._marks_timer.setInterval(150)
        self._marks_timer.timeout.connect(self._load_pdf_ids)
        window.table_model.searchFinished.connect(lambda _count: self.refresh_marks())

    @property
    def auto_rule(self) -> AutoRule | None:
        """The library's auto-download rule: ("tag", name), ("list", name) or None (off).

        Read from the library each time (one row), so an undone or redone choice counts at once.
        """
        from ..core.online import pdfs

        library = self._w.library
        return pdfs.auto_download(library) if library is not None else None

    @property
    def busy(self) -> bool:
        return self._job is not None or bool(self._jobs)

    def _status(self, text: str, ms: int = 15000) -> None:
        self.last_message = text
        self._w.statusBar().showMessage(visible(text), ms)

    def _say_problems(self, problems: Sequence[str]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self._status(one_line(problems[0], 200) + more, 60000)

    # --- Background jobs ------------------------------------------------------------------------------------

    def _queue(self, job: _Job) -> None:
        self._jobs.append(job)
        self._next()

    def _next(self) -> None:
        if self._job is not None:
            return
        while self._jobs:
            job = self._jobs.popleft()
            if job.library is self._w.library:
                break
        else:
            self.progress.finish()
            self.busyChanged.emit(False)
            return
        self._job = job
        task: Task = Task(lambda: job.run(task))
        self.task = task
        self.progress.start(job.title + "…")
        self.busyChanged.emit(True)

        def shown(value: object) -> None:
            text, n, total = cast("tuple[str, int, int]", value)
            if self.task is task and not task.cancel_requested:
                self.progress.update_progress(text, n, total)

        def finished_ok(result: Any) -> None:
            self._finish(task)
            if job.library is self._w.library:
                try:
                    job.done(result)
                except Exception as exc:  # a bug in a handler: reported, the queue goes on
                    self._w.report_error(exc)
            self._next()

        def went_wrong(exc: BaseException, details: str) -> None:
            self._finish(task)
            if job.library is self._w.library:
                self._failed(job, exc, details)
            self._next()

        task.partial.connect(shown)
        task.succeeded.connect(finished_ok)
        task.failed.connect(went_wrong)
        task.start(POOL)

    def _finish(self, task: Task) -> None:
        if self.task is task:
            self.task = None
            self._job = None

    def _failed(self, job: _Job, exc: BaseException, details: str) -> None:
        from ..core.errors import PapershelfError
        from ..core.library import Cancelled

        if isinstance(exc, Cancelled):
            self._status(f"{job.title} cancelled.")
        elif isinstance(exc, PapershelfError):
            self._status(f"Could not finish {job.what}: {one_line(str(exc), 200)}", 60000)
        else:
            self._w.report_error(exc, details)

    @staticmethod
    def _counter(task: Task, what: str) -> Callable[[int, int], None]:
        """Progress of ``what`` over several files: ``report(done, total)``, called on the worker."""

        def report(done: int, total: int) -> None:
            shown = f"{what} ({min(done + 1, total)} of {total})…" if total > 1 else f"{what}…"
            task.deliver((shown, done, total))

        return report

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc on the table or the window cancels the PDF job that runs (and only then: else it goes on as before)."""
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and self.task is not None
            and not self.task.done
            and not self.task.cancel_requested
        ):
            title = self._job.title if self._job is not None else "PDF work"
            self.cancel()
            self._status(f"{title}: cancelling (Esc)…", 8000)
            return True
        return super().eventFilter(watched, event)

    def cancel(self) -> None:
        """Cancel: the job that runs stops at its next step (a download keeps what arrived), the rest are dropped."""
        self._jobs.clear()
        if self.task is not None and not self.task.done:
            self.task.cancel()
            self.progress.cancelling()

    # --- Enter: open the PDF (or the web page) --------------------------------------------------------------

    def open_current(self) -> None:
        """Enter: the current paper's PDF with the system's viewer, or its web page if it has no readable PDF.

        Two indexed reads and a stat, on this thread (as the detail pane reads the paper): the URL reaches the
        system at once, while the key press is still the user's last action.
        """
        from ..core.attachments import attachments_of, pdf_for

        library = self._w.library
        paper_id = self._w.table.current_id()
        if library is None or paper_id is None:
            return
        path = pdf_for(library, paper_id)
        found = attachments_of(library, [paper_id]).get(paper_id, [])
        if path is not None:
            # The name the user knows it by (a stored copy's own name is its hash).
            name = next((short(a.name, 80) for a in found if a.path == path and a.name), name_of(path))
            if open_file(path):
                self._status(f"Opened {name} in your PDF viewer.", 8000)
            else:
                self._status(f"No program could open {name}.", 15000)
            return
        missing = f"{name_of(found[0].path)} is missing (Locate… in the details)" if found else ""
        if not self._w.paper_view.open_current_page(say=False):
            # No web page either, or the browser failed: that message stays, after the missing PDF's, which is
            # what the user pressed Enter for.
            after = self._w.statusBar().currentMessage()
            if missing and after:
                self._status(f"{missing}; {after[0].lower()}{after[1:]}", 15000)
            return
        if found:
            self._status(f"{missing}: opened the web page.", 15000)
        else:
            self._status("No PDF for this paper: opened its web page (D downloads the arXiv PDF).", 8000)

    def open_attachment(self, attachment_id: int) -> None:
        """The detail pane's Open button."""
        from ..core.attachments import attachments_of

        library = self._w.library
        paper_id = self._w.detail.paper_id
        if library is None or paper_id is None:
            return
        for attachment in attachments_of(library, [paper_id]).get(paper_id, []):
            if attachment.id != attachment_id:
                continue
            name = short(attachment.name, 80) or name_of(attachment.path)
            if open_file(attachment.path):
                self._status(f"Opened {name} in your PDF viewer.", 8000)
            else:
                self._status(f"No program could open {name}.", 15000)

    # --- Attach -------------------------------------------------------------------------------------------

    def attach_dialog(self) -> None:
        """Paper ▸ Attach PDF…: files for the current paper."""
        paper_id = self._w.table.current_id()
        if self._w.library is None or paper_id is None:
            return
        settings = self._w.settings
        files, _ = QFileDialog.getOpenFileNames(
            self._w, "Attach PDF", start_folder(settings.attach_folder), "PDF files (*.pdf);;All files (*)"
        )
        if not files:
            return
        settings.attach_folder = str(Path(files[0]).parent)
        self.attach_files(paper_id, [Path(f) for f in files])

    def attach_files(self, paper_id: int, paths: Sequence[Path]) -> None:
        """Attach ``paths`` to the paper ``paper_id``: copied (or linked) on the worker, then one undoable change."""
        library = self._w.library
        if library is None or not paths:
            return
        link = self._w.settings.link_pdfs
        paths = list(paths)

        def run(task: Task) -> tuple[str, list[tuple[Path, Any]]]:
            from ..core import attachments
            from ..core.errors import PapershelfError

            prepared: list[tuple[Path, Any]] = []
            report = self._counter(task, "Copying PDFs" if not link else "Checking PDFs")
            for n, path in enumerate(paths):
                report(n, len(paths))
                try:
                    prepared.append((path, attachments.prepare_attach(library, paper_id, path, link=link)))
                except PapershelfError as exc:
                    prepared.append((path, exc))
            try:
                title = library.get(paper_id).title
            except PapershelfError:
                title = ""  # the paper went: the change says so
            return title, prepared

        title = "Attaching " + plural(len(paths), "PDF")
        self._queue(_Job(title, run, lambda found: self._attach_prepared(library, *found), library, "the attach"))

    def _attach_prepared(self, library: Library, title: str, prepared: list[tuple[Path, Any]]) -> None:
        from ..core.errors import PapershelfError

        ready = [(path, op) for path, op in prepared if not isinstance(op, PapershelfError)]
        problems = [messages.problem(path, exc) for path, exc in prepared if isinstance(exc, PapershelfError)]
        if problems:
            self._say_problems(problems)  # said now too, in case the change itself is refused
        if not ready:
            return
        names = [path.name for path, _op in ready]

        def landed(outcome: Any) -> None:
            results = outcome.result if len(ready) > 1 else [outcome.result]
            self._status(messages.attached_line(names, results, title, problems), 60000 if problems else 8000)
            if any(attached for _aid, attached in results):
                self.pdfsChanged.emit()

        operation = self._one_change([op for _path, op in ready], f"Attach {plural(len(ready), 'PDF')}")
        self._run_attaching(library, operation, landed)

    @staticmethod
    def _one_change(operations: Sequence[Any], name: str) -> Any:
        """Several attaches as one undoable change (one undo step, one refresh of the views); one as itself."""
        from ..core import operations as ops

        return operations[0] if len(operations) == 1 else ops.Batch(tuple(operations), name)

    def _run_attaching(self, library: Library, operation: Any, on_done: Callable[[Any], None]) -> None:
        """Run an attaching operation as one undoable step; queued right after it on the writer thread, a stored
        copy it did not keep (it failed, or the paper had the file) leaves the files folder for its trash, as
        ``papershelf attach`` does (``attachments.settle_copies``). The text of what it attached is read once the
        change lands (:meth:`_applied`)."""
        from ..core import operations as ops
        from ..core.attachments import settle_copies

        steps = operation.steps if isinstance(operation, ops.Batch) else (operation,)

        def settle(opened: Library) -> None:
            for step in steps:
                settle_copies(opened, step)

        if self._w.edits.run(operation, on_done=on_done):
            self._w.runner.submit(library, settle)

    def attach_dropped(self, paths: Sequence[Path]) -> None:
        """PDFs dropped on the window, not on a paper: each goes to the paper its arXiv id or DOI names, or a new
        one; the whole drop is one undoable change."""
        library = self._w.library
        if library is None or not paths:
            return
        paths = list(paths)

        def run(task: Task) -> list[tuple[Path, Any]]:
            from ..core import attachments
            from ..core.errors import PapershelfError

            prepared: list[tuple[Path, Any]] = []
            report = self._counter(task, "Reading dropped PDFs")
            for n, path in enumerate(paths):
                report(n, len(paths))
                try:
                    prepared.append((path, attachments.prepare_dropped(library, path)))
                except PapershelfError as exc:
                    prepared.append((path, exc))
            return prepared

        title = "Reading " + plural(len(paths), "dropped PDF")
        self._queue(_Job(title, run, lambda found: self._dropped(library, found), library, "the drop"))

    def _dropped(self, library: Library, prepared: list[tuple[Path, Any]]) -> None:
        from ..core.errors import PapershelfError

        ready = [(path, found) for path, found in prepared if not isinstance(found, PapershelfError)]
        problems = [messages.problem(path, exc) for path, exc in prepared if isinstance(exc, PapershelfError)]
        if problems:
            self._say_problems(problems)
        if not ready:
            return

        def landed(outcome: Any) -> None:
            results = outcome.result if len(ready) > 1 else [outcome.result]
            outcomes = [
                (path.name, dropped, result) for (path, (_op, dropped)), result in zip(ready, results, strict=True)
            ]
            self._status(messages.dropped_line(outcomes, problems), 60000 if problems else 15000)
            last = outcomes[-1]
            # A new paper's result is (paper id, attachment id); an attach's is (attachment id, attached).
            self._select_later(last[2][0] if last[1].created else last[1].paper_id)
            if any(dropped.created or result[1] for _name, dropped, result in outcomes):
                self.pdfsChanged.emit()

        name = f"Add {plural(len(ready), 'dropped PDF')}"
        self._run_attaching(library, self._one_change([op for _path, (op, _d) in ready], name), landed)

    def _select_later(self, paper_id: int) -> None:
        """Select ``paper_id`` once the table shows it (a new paper waits for the search it needs)."""

        def select() -> None:
            row = self._w.table_model.row_of(paper_id)
            if row is not None:
                self._w.table.select_row(row)

        QTimer.singleShot(300, select)

    def locate(self, attachment_id: int) -> None:
        """The detail pane's Locate…: the user shows where the missing file went (one undoable change)."""
        library = self._w.library
        if library is None:
            return
        found, _ = QFileDialog.getOpenFileName(
            self._w, "Locate the PDF", start_folder(self._w.settings.attach_folder), "PDF files (*.pdf);;All files (*)"
        )
        if not found:
            return
        path = Path(found)

        def run(_task: Task) -> Any:
            from ..core import attachments
            from ..core import operations as ops
            from ..core.errors import PapershelfError

            missing = next((a for a in attachments.all_attachments(library) if a.id == attachment_id), None)
            if missing is None:
                raise PapershelfError("that PDF is no longer attached")
            row = attachments.prepare_file(library, path, link=missing.kind == "linked")
            others = attachments.attachments_of(library, [missing.paper_id]).get(missing.paper_id, [])
            if any(a.sha256 == row["sha256"] and a.id != attachment_id for a in others):
                attachments.settle(library, [row["path"]])  # a stored copy made for nothing: to the trash
                raise PapershelfError(f"{path}: the paper has this PDF already")
            values = {k: row[k] for k in ("kind", "path", "size", "sha256", "mtime")}
            values |= {"missing_since": None, "text_state": "pending", "text_error": None}
            return ops.UpdateAttachments(((attachment_id, values),), f"Locate {missing.name}")

        def done(operation: Any) -> None:
            def landed(_outcome: Any) -> None:
                self._status(f"Found {name_of(path)}.", 8000)
                self.pdfsChanged.emit()  # its text is read as the change lands (_applied)

            self._run_attaching(library, operation, landed)

        self._queue(_Job(f"Checking {name_of(path)}", run, done, library, "locating the PDF"))

    def remove_attachment(self, attachment_id: int, name: str = "") -> None:
        """The detail pane's Remove from This Paper: the PDF leaves the paper, as one undoable step.

        A stored copy nothing else uses moves to the files folder's trash, and Undo brings it back; a linked
        file is never touched.
        """
        from ..core import operations as ops

        if self._w.library is None:
            return

        def removed(_outcome: Any) -> None:
            self._status(f"Removed {short(name, 80) or 'the PDF'} from the paper (Undo brings it back).", 10000)
            self.pdfsChanged.emit()

        label = f"Remove {short(name, 80)}" if name else ""
        self._w.edits.run(ops.DetachPdf(attachment_id, label), on_done=removed)

    # --- Download ------------------------------------------------------------------------------------------

    def download_selection(self) -> None:
        """D: download the arXiv PDF of the highlighted papers."""
        ids = self._w.table.selected_ids()
        if self._w.library is not None and ids:
            self.download(ids)

    def download_list(self, name: str) -> None:
        """A reading list's context menu: Download PDFs."""
        library = self._w.library
        if library is None:
            return
        from ..core.errors import PapershelfError

        try:
            ids = library.list_paper_ids(name)  # one indexed read, as the sidebar's counts
        except PapershelfError as exc:  # the list went meanwhile
            self._status(one_line(str(exc), 200), 15000)
            return
        if ids:
            self.download(ids)
        else:
            self._status("This list has no papers to download.", 8000)

    def download(self, paper_ids: Sequence[int] | None, *, quiet: bool = False, auto: bool = False) -> None:
        """Download the arXiv PDFs of ``paper_ids`` (None: the queued ones) on the worker.

        ``auto``: only those the auto-download rule asks for. ``quiet``: say nothing if nothing was downloaded.
        """
        library = self._w.library
        if library is None:
            return
        ids = None if paper_ids is None else list(paper_ids)

        def run(task: Task) -> Any:
            from ..core.online import pdfs

            wanted = pdfs.papers_to_queue(library, ids or []) if auto else ids
            if wanted is not None and not wanted:
                return []
            if wanted is None and not pdfs.queued(library):
                return []

            def report(step: Any) -> None:
                share = min(1.0, step.done / step.total) if step.total else 0.0
                count = f" ({step.index} of {step.count})" if step.count > 1 else ""
                position = int(1000 * (step.index - 1 + share))
                task.deliver((f"Downloading {step.arxiv_id}{count}…", position, 1000 * step.count))

            return pdfs.download(library, wanted, progress=report, cancelled=lambda: task.cancel_requested)

        title = "Downloading PDFs" if ids is None or auto else f"Downloading {plural(len(ids), 'PDF')}"
        job = _Job(title, run, lambda results: self._downloaded(library, results, quiet), library, "the download")
        self._queue(job)

    def _downloaded(self, library: Library, results: list[Any], quiet: bool) -> None:
        done = [r for r in results if r.state == "downloaded" and r.attachment is not None]
        failed = [r for r in results if r.state == "failed"]
        skipped = [r for r in results if r.state == "skipped"]
        cancelled = [r for r in results if r.state == "cancelled"]
        if quiet and not done and not failed and not cancelled:
            return
        if cancelled:
            stay = "stays" if len(cancelled) == 1 else "stay"
            text = f"Download cancelled; {plural(len(cancelled), 'paper')} {stay} queued for next time"
            if done:
                text += f"; {plural(len(done), 'PDF')} downloaded"
        elif len(skipped) == 1 and not done and not failed:
            text = f"Nothing to download: {skipped[0].message}"
            skipped = []  # said
        elif skipped and not done and not failed:
            text = f"Nothing to download: {len(skipped):,} skipped (a PDF already, or no arXiv id)"
            skipped = []  # said
        elif failed and not done:
            # What went wrong comes first: a long line ends in "…" in a narrow window (the tooltip has it whole).
            text = f"Could not download {plural(len(failed), 'PDF')}{messages.download_failures(failed)}"
        else:
            text = f"Downloaded {plural(len(done), 'PDF')}"
        if skipped and not cancelled:
            text += f"; {len(skipped):,} skipped (a PDF already, or no arXiv id)"
        if failed and (done or cancelled):
            text += f"; {len(failed)} failed{messages.download_failures(failed)}"
        self._status(text if text.endswith("…") else text + ".", 60000 if failed else 15000)
        if done:
            self.pdfsChanged.emit()
            self.index(library, [r.attachment.id for r in done], quiet=True)

    # --- Reading the text into the index ----------------------------------------------------------------------

    def index(self, library: Library, attachment_ids: Sequence[int] | None, *, quiet: bool = False) -> None:
        """Read the text of the attachments (None: every one not read yet) on the worker, for the search.

        ``quiet``: a file read as it should be is not announced (the attach's own message stays in the status
        bar); one that could not be read always is.
        """
        self._queue(self._index_job(library, attachment_ids, quiet))

    def _index_job(self, library: Library, attachment_ids: Sequence[int] | None, quiet: bool) -> _Job:
        ids = None if attachment_ids is None else list(attachment_ids)

        def run(task: Task) -> Any:
            from ..core.pdf import indexing

            count = self._counter(task, "Reading PDFs for the search")
            return indexing.index_pending(
                library,
                ids,
                progress=lambda done, total, _name: count(done, total),
                cancelled=lambda: task.cancel_requested,
            )

        return _Job("Reading PDFs for the search", run, lambda found: self._indexed(found, quiet), library, "reading")

    def read_pending(self) -> None:
        """Read the attachments whose text is not read yet (an attach, or an undone delete or remove brought
        them), quietly, on the worker; while such a reading waits in the queue, it is not queued twice."""
        library = self._w.library
        if library is None or any(job is self._pending_job for job in self._jobs):
            return
        self._pending_job = self._index_job(library, None, quiet=True)
        self._queue(self._pending_job)

    def _indexed(self, results: list[Any], quiet: bool) -> None:
        failed = [r for r in results if r.state == "failed"]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self._status(f"{short(first.name, 80)}: {one_line(first.error or 'could not read', 160)}{more}", 60000)
        elif results and not quiet:
            self._status(f"Read {plural(len(results), 'PDF')}: the search finds the words inside.", 8000)
        if results:
            self.pdfsChanged.emit()
            if self._w.paper_view.current_query():
                self._w.refresh_all()  # the search may find more papers now

    # --- Keeping the views and the queue up to date -----------------------------------------------------------

    def _library_opened(self) -> None:

        library = self._w.library
        if library is None:
            return
        self.cancel()  # what ran for the library before stops; its results are not shown
        self._load_pdf_ids()
        # What was left: downloads queued before the app closed, files restored or not read yet.
        self.download(None, quiet=True)
        self.index(library, None)

    def refresh_marks(self) -> None:
        """Read again which papers have a PDF (the table's markers), soon: once for a burst of changes."""
        self._marks_timer.start()

    def _load_pdf_ids(self) -> None:
        library = self._w.library
        if library is None:
            return

        def found(ids: list[int]) -> None:
            if library is self._w.library:
                self._w.table.set_pdf_ids(frozenset(ids))

        task = Task(library.search_ids, "has:pdf")
        task.succeeded.connect(found)
        task.failed.connect(lambda exc, _details: log.info("has:pdf: %s", exc))
        task.start("search")

    def _refresh_views(self) -> None:
        self._load_pdf_ids()
        detail = self._w.detail
        if detail.paper is not None:
            # A PDF's highlights become a note: shown at once, unless the user is typing in the notes.
            detail.refresh(notes="auto")

    def _applied(self, changes: Any) -> None:
        """After a change (an undo too): the PDF markers read again, a PDF attached or brought back is read for
        the search, and a paper that got the auto-download tag, or joined its list, gets its PDF."""
        if self._w.library is None:
            return
        if changes.papers or changes.removed or changes.added:
            self.refresh_marks()  # an undone attach or delete: the "PDF" markers follow
        if changes.papers or changes.added:
            self.read_pending()  # one query on the worker when nothing waits to be read
        if not changes.papers or not (changes.tags or changes.lists):
            return
        rule = self.auto_rule
        if rule is not None and ((rule[0] == "tag" and changes.tags) or (rule[0] == "list" and changes.lists)):
            self.download(sorted(changes.papers), quiet=True, auto=True)

    def choose_auto_download(self) -> None:
        """Paper ▸ Download PDFs Automatically…"""
        library = self._w.library
        if library is None:
            return
        tags = [name for name, _ in library.tags()]
        lists = [name for name, _ in library.lists()]
        dialog = AutoDownloadDialog(tags, lists, self.auto_rule, self._w)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.auto_dialog = dialog

        def finished(code: int) -> None:
            self.auto_dialog = None
            dialog.deleteLater()
            if code == QDialog.DialogCode.Accepted and library is self._w.library:
                self.set_auto_rule(dialog.rule())

        dialog.finished.connect(finished)
        dialog.open()

    def set_auto_rule(self, rule: AutoRule | None) -> None:
        """Download the PDF of each paper that gets the tag / joins the list of ``rule`` (None: off); undoable."""
        from ..core.operations.downloads import SetAutoDownload

        library = self._w.library
        if library is None:
            return

        def done(_outcome: Any) -> None:
            if rule is None:
                self._status("PDFs are no longer downloaded automatically.", 10000)
            else:
                kind = "gets the tag" if rule[0] == "tag" else "joins the list"
                self._status(f"Papershelf downloads the PDF of each paper that {kind} “{short(rule[1], 60)}”.", 10000)

        self._w.edits.run(SetAutoDownload(rule), on_done=done)

    def close(self) -> None:
        """The window closes: stop what runs (a download keeps what arrived, and stays queued for next time)."""
        self.cancel()
