"""The open library: opening it (on a worker at start-up, offering recovery if it fails), the backups, restoring, closing.

A library is a file, or a shared library on a PostgreSQL server, opened by its
``postgresql://`` URL (File ▸ Open Shared Library…, or ``--library URL``). A
shared library has no file to back up or restore here; its changes made while
the server cannot be reached are kept (:mod:`live_updates`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from .. import paths
from ..core.display import visible
from . import workers
from .dialogs.errors import report_exception, show_error
from .dialogs.open_failed import CHOOSE, RESTORE, ask_recovery
from .models.sidebar import ALL
from .settings import LastView

if TYPE_CHECKING:
    from ..core.library import Library
    from .main_window import MainWindow

#: The day's backup waits this long after the library opens (or runs when the app closes, if sooner).
DAILY_BACKUP_DELAY_MS = 10 * 60 * 1000
#: Before the library closes, how long queued changes may take to land before the user is asked what to do
#: (another program holds the lock; most do so briefly).
CHANGES_WAIT_S = 3.0
#: At close, how long a change already in progress may take to finish (it holds the lock) or give up (it waits for it).
RUNNER_WAIT_S = 60.0
#: A shared library's backups are its server's (pg_dump), or a copy made by the command line.
SHARED_BACKUP = "{name}: a shared library is backed up on its server (pg_dump), or copied into a file with: papershelf copy URL FILE"


log = logging.getLogger("papershelf.gui")


class LibrarySession(QObject):
    """Holds the window's library from opening to closing, and takes and restores its backups."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.library: Library | None = None
        self.path: Path | None = None
        #: An empty file the user agreed to start a new library in.
        self._adopt_empty: Path | None = None
        #: A library to open once the window has painted (a file, or a shared library's URL).
        self._pending_open: Path | str | None = None
        self._painted = False
        self._daily_backup_due = False

    # --- Opening ------------------------------------------------------------------

    def _open_file(self, target: Path | str) -> Library:
        from ..core.library import Library

        if isinstance(target, str):
            return Library(target)  # a shared library: its server checks its own data
        # SQLite's full quick check reads every page (0.6 s at 100k papers): once a day is enough, as in the CLI.
        return Library(
            target, backups_dir=paths.backups_dir(target), check="daily", adopt_empty=target == self._adopt_empty
        )

    def open(self, path: str | Path) -> bool:
        """Open ``path`` now (offering recovery if it fails); False if the user gave up.

        ``path`` may be a shared library's URL: a failure to open it is shown in one line.
        """
        from ..core.errors import LibraryError

        if paths.is_url(path):
            return self.open_shared(str(path).strip())
        target: Path | None = Path(path)
        if self.library is not None and not self.changes_may_go(
            f"Open {visible(Path(path).name)}", QMessageBox.StandardButton.Open
        ):
            return False
        while target is not None:
            try:
                library = self._open_file(target)
            except LibraryError as exc:
                retry = self._recover(target, exc)
                target = Path(retry) if retry is not None else None
                continue
            # Given up only now the other library is open: if it fails to, they keep waiting in this one.
            self._w.runner.discard()
            self.set_library(library, target, sync=True)
            return True
        return False

    def open_shared(self, url: str) -> bool:
        """Open the shared library at ``url`` now; a failure is shown in one line. False if it did not open."""
        from ..core.errors import PapershelfError

        try:
            library = self._open_file(url)
        except PapershelfError as exc:
            show_error(self._w, str(exc))
            return False
        return self.adopt(library)

    def open_shared_dialog(self) -> None:
        """File ▸ Open Shared Library…: ask for the URL, open it (errors stay in the dialog), then show it."""
        from .dialogs.shared_library import SharedLibraryDialog, has_password, without_password

        w = self._w
        dialog = SharedLibraryDialog(w, url=w.settings.shared_url)
        self.shared_dialog = dialog
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.library is None:
                return
        finally:
            self.shared_dialog = None
        w.settings.shared_url = without_password(dialog.url)  # libpq's .pgpass holds the password, never the settings
        if self.adopt(dialog.library) and has_password(dialog.url):
            w.statusBar().showMessage(
                "The password in the URL was used, not remembered: keep it in ~/.pgpass for next time.", 15000
            )

    #: The Open Shared Library dialog while it is open (tests drive it).
    shared_dialog: Any = None

    def adopt(self, library: Library) -> bool:
        """Show ``library``, opened elsewhere, in place of the current one; False (and it is closed) if the user
        chose to keep the current one's changes waiting."""
        if self.library is not None and not self.changes_may_go(
            f"Open {visible(library.name)}", QMessageBox.StandardButton.Open
        ):
            library.close()
            return False
        self._w.runner.discard()
        self.set_library(library, library.path, sync=True)
        return True

    def open_later(self, path: str | Path) -> None:
        """Open ``path`` (a file, or a shared library's URL) on a worker once the window has painted (fast start-up)."""
        self._pending_open = str(path).strip() if paths.is_url(path) else Path(path)
        if self._painted:
            QTimer.singleShot(0, self._begin_open)

    def window_painted(self) -> None:
        """The window painted for the first time: a library waiting for that opens now."""
        self._painted = True
        if self._pending_open is not None:
            QTimer.singleShot(0, self._begin_open)

    def _begin_open(self) -> None:
        path, self._pending_open = self._pending_open, None
        if path is None:
            return
        self._w.statusBar().showMessage("Opening the library…")

        def failed(exc: BaseException, details: str) -> None:
            from ..core.errors import LibraryError

            if isinstance(exc, LibraryError):
                retry = self._recover(path, exc)
            else:
                report_exception(self._w, exc, details)
                retry = None
            if retry is None:
                self._w.quitRequested.emit(1)
                return
            self._pending_open = retry
            self._begin_open()

        workers.run(
            self._open_file,
            path,
            on_result=lambda library: self.set_library(library, library.path, sync=False),
            on_error=failed,
        )

    def _recover(self, path: Path | str, exc: BaseException) -> Path | str | None:
        """Ask what to do about a library that cannot be opened; the path to try next, or None."""
        from ..core import backup
        from ..core.errors import PapershelfError
        from ..core.migrate import EmptyFileError

        w = self._w
        if isinstance(path, str):
            # A shared library: no backup or other file to offer; the server may be back later.
            show_error(w, str(exc))
            return None
        if isinstance(exc, EmptyFileError):
            # An empty file is adopted only when the user says so: it may be another program's.
            answer = QMessageBox.question(
                w,
                "Empty File",
                f"{path} is an empty file, not a Papershelf library. Start a new library in it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._adopt_empty = path
                return path
        folder = paths.backups_dir(path)
        try:
            newest = backup.newest_good(folder)
        except OSError:
            newest = None
        choice = ask_recovery(w, path, str(exc), newest)
        if choice == RESTORE and newest is not None:
            try:
                backup.restore(path, newest, folder=folder, files_dir=paths.files_dir(path))
            except (PapershelfError, OSError) as error:
                show_error(w, f"The backup could not be restored: {error}")
            else:
                w.statusBar().showMessage(
                    f"Restored {path.name} from {newest.name}; the old file was kept aside.", 15000
                )
            return path
        if choice == CHOOSE:
            chosen, _filter = QFileDialog.getSaveFileName(
                w,
                "Open or Create a Library",
                str(path.parent),
                "Papershelf libraries (*.sqlite3);;All files (*)",
                options=QFileDialog.Option.DontConfirmOverwrite,
            )
            return Path(chosen) if chosen else path
        return None

    def set_library(self, library: Library, path: Path, *, sync: bool = True) -> None:
        """Show ``library`` in the window, on its first paper; with ``sync``, its first results are shown on return."""
        w = self._w
        if self.library is not None:
            self.close()
        self.library = library
        self.path = Path(path)
        default = paths.default_library()
        try:
            is_default = self.path.resolve() == default.resolve()
        except OSError:
            is_default = False
        shown = library.name if library.shared else self.path.name  # a shared library: its URL, no password
        w.setWindowTitle("Papershelf" if is_default else f"Papershelf — {visible(shown)}")
        w.table_model.set_library(library)
        w.detail.set_library(library, w.runner)
        w.undo_stack.clear()
        w.statusBar().clearMessage()
        # Where the user left this library; else on the first paper, so the first J goes to paper 2.
        view = w.settings.last_view
        if view is not None and view.library == str(self.path):
            w.sidebar_controller.start_in(view.kind, view.value)
            w.paper_view.start_in(view.query, view.paper, view.rows_above)
        else:
            w.sidebar_controller.start_in(ALL, "all")
            w.paper_view.start_in("")
        if sync:
            w.sidebar_controller.reload()
            w.table_model.set_query(w.paper_view.current_query(), now=True)
        else:
            w.sidebar_controller.load()
            w.table_model.set_query(w.paper_view.current_query())
        w.acts.update_enabled()
        # The keys of daily triage (J/K, Space…) work on the table: start there.
        w.table.setFocus(Qt.FocusReason.OtherFocusReason)
        w.libraryOpened.emit()
        self._daily_backup_due = not library.shared  # the server keeps a shared library's backups
        # Not in the user's first minutes: the copy reads the whole file. If the
        # app is closed sooner, shut_down() takes it after the window is gone.
        QTimer.singleShot(DAILY_BACKUP_DELAY_MS, self._daily_backup)

    # --- Backups ------------------------------------------------------------------

    def backup_now(self) -> None:
        """File ▸ Back Up Now: a manual backup (never pruned), on a worker."""
        path = self.path
        if self.library is None or path is None or self._shared_refusal():
            return
        from ..core import backup

        w = self._w
        w.statusBar().showMessage("Backing up the library…")
        workers.run(
            backup.backup,
            path,
            folder=paths.backups_dir(path),
            on_result=lambda made: w.statusBar().showMessage(f"Backed up to {made}", 15000),
            on_error=lambda exc, details: report_exception(w, exc, details),
        )

    def backup_with_files(self) -> None:
        """File ▸ Back Up with PDFs: the library and every attached PDF in one archive, on a worker."""
        path = self.path
        if self.library is None or path is None or self._shared_refusal():
            return
        from ..core import backup

        w = self._w
        w.statusBar().showMessage("Backing up the library and its PDFs…")

        def made(result: tuple[Path, Any]) -> None:
            target, written = result
            message = f"Backed up to {target} with {written.describe()}"
            if written.problems:  # missing files are named; the rest was written
                message += f". Left out: {'; '.join(visible(p) for p in written.problems[:3])}"
                if len(written.problems) > 3:
                    message += f" and {len(written.problems) - 3} more"
            w.statusBar().showMessage(message, 30000)

        workers.run(
            backup.backup_with_files,
            path,
            folder=paths.backups_dir(path),
            files_dir=paths.files_dir(path),
            on_result=made,
            on_error=lambda exc, details: report_exception(w, exc, details),
        )

    def restore_from_backup(self) -> None:
        """File ▸ Restore from Backup…: show what each backup holds, then restore the chosen one on a worker."""
        path = self.path
        if self.library is None or path is None or self._shared_refusal():
            return
        from ..core import backup
        from ..core.errors import PapershelfError
        from .dialogs.restore import RestoreDialog

        w = self._w
        folder = paths.backups_dir(path)
        try:
            current = backup.summarize_library(path)
        except PapershelfError:
            current = None
        dialog = RestoreDialog(path, backup.list_backups(folder), w, current=current)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen is None:
            return
        if not self.changes_may_go("Restore the backup", QMessageBox.StandardButton.Yes):
            return
        w.runner.discard()
        self.close()
        w.statusBar().showMessage("Restoring the library…")

        chosen = dialog.chosen
        # The dialog warned from the backup's manifest; the restore compares what
        # it really holds, and asks again if that drops more than was shown.
        warned = bool(dialog.warning.text())

        def restored(done) -> None:
            message = f"Restored from {done.source.name}."
            if done.kept is not None:
                message += f" The library as it was is kept in {done.kept}."
            if done.files is not None:  # its PDFs: put back; opening the library reads their text again
                message += " " + "; ".join(visible(line) for line in done.files.lines()[:3])
            if self.open(path):
                w.statusBar().showMessage(message, 20000)

        def failed(exc: BaseException, _details: str) -> None:
            if isinstance(exc, backup.WouldDropError):
                answer = QMessageBox.question(
                    w,
                    "Restore from Backup",
                    f"Restoring {chosen.name} drops {' and '.join(exc.lost)} that the library holds now. "
                    "Restore anyway? The library as it is is backed up first.",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel,
                )
                if answer == QMessageBox.StandardButton.Yes:
                    workers.run(
                        backup.restore,
                        path,
                        chosen,
                        folder=folder,
                        force=True,
                        files_dir=paths.files_dir(path),
                        on_result=restored,
                        on_error=failed,
                    )
                    return
                w.statusBar().showMessage("Nothing was restored.", 10000)
            else:
                show_error(w, f"Nothing was restored: {exc}")
            self.open(path)

        workers.run(
            backup.restore,
            path,
            chosen,
            folder=folder,
            force=warned,
            files_dir=paths.files_dir(path),
            on_result=restored,
            on_error=failed,
        )

    def _shared_refusal(self) -> bool:
        """A shared library is backed up on its server: say so (True) instead of backing up here."""
        if self.library is None or not self.library.shared:
            return False
        self._w.statusBar().showMessage(visible(SHARED_BACKUP.format(name=self.library.name)), 15000)
        return True

    def _daily_backup(self) -> None:
        """Take the day's backup, on a worker, unless one exists (only the first launch of a day writes)."""
        path = self.path
        if self.library is None or path is None or not self._daily_backup_due:
            return
        from ..core import backup

        self._daily_backup_due = False
        w = self._w
        workers.run(
            backup.daily,
            path,
            paths.backups_dir(path),
            w.settings.backups_keep,
            on_error=lambda exc, details: w.statusBar().showMessage(f"The daily backup failed: {exc}", 15000),
        )

    # --- Closing ------------------------------------------------------------------

    def changes_may_go(self, anyway: str, button: QMessageBox.StandardButton) -> bool:
        """Before the library closes: True once every change is saved, or the user chose to lose those still waiting.

        Changes wait for another program's write lock: after CHANGES_WAIT_S this
        asks "<anyway> anyway and lose them?" (``button`` says yes; False on
        Cancel, and they keep waiting). A caller that goes ahead gives them up
        (``runner.discard()``, nothing if all landed meanwhile), so none lands
        later in a library the window has closed.
        """
        w = self._w
        w.detail.flush()  # a note being typed is one of the changes
        if w.live.offline:
            # The shared library's server cannot be reached: they are kept on disk, and sent when it is opened again.
            kept = w.live.keep_for_later()
            log.info("closing a shared library offline: %d change(s) kept for later", kept)
            return True
        if w.runner.wait_idle(CHANGES_WAIT_S):
            return True
        if w.live.library is not None:
            answer = QMessageBox.question(
                w,
                "Changes Not Saved Yet",
                "The shared library's server has not confirmed your last changes yet. "
                f"{anyway} anyway? They are kept, and sent when you open the library again.",
                button | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer == button:
                w.live.keep_for_later()
            return answer == button
        answer = QMessageBox.question(
            w,
            "Changes Not Saved Yet",
            "Another program is still writing to the library, and your last changes wait for it. "
            f"{anyway} anyway and lose them?",
            button | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == button

    def close(self) -> None:
        """Save where the user is, then close the library once no change runs on it (callers ask first)."""
        w = self._w
        w.detail.flush()
        if self.library is not None and self.path is not None:
            paper_id, rows_above = w.paper_view.position()
            kind, value = w.sidebar_controller.key()
            query = w.paper_view.filter_query
            w.settings.last_view = LastView(str(self.path), kind, value, query, paper_id, rows_above)
            w.settings.sync()
        # Callers asked first (changes_may_go), so only a change in progress is left, which finishes or gives
        # up quickly. Anything still queued after the short wait is given up: none may land in a closed library.
        # A shared library's changes not confirmed are on disk with their tokens (changes_may_go): one stuck on
        # a server that hangs lands or not, and is sent again, once, when the library opens next; a read stuck
        # there is of no use to a closed library. Neither is waited for long.
        shared = self.library is not None and self.library.shared
        if not w.runner.wait_idle(CHANGES_WAIT_S):
            log.warning("closing the library: %d change(s) not saved were given up", w.runner.discard())
            if not shared and not w.runner.wait_idle(RUNNER_WAIT_S):
                log.error("closing the library while a change still runs on it")
        workers.wait_all(int(CHANGES_WAIT_S * 1000) if shared else workers.WAIT_ALL_MS)
        w.live.closing()
        w.detail.set_library(None)
        w.table_model.set_library(None)
        if self.library is not None:
            self.library.close()
        self.library = None

    def shut_down(self) -> None:
        """The window is closing: the day's backup if it is still due (with the window already gone), then close."""
        if self.library is None:
            return
        if self._daily_backup_due:
            # Closed within the first minutes: back up now, with the window already hidden.
            self._w.hide()
            self._daily_backup()
        self.close()
