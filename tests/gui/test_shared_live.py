"""A window on a shared library: other members' changes appear live, and edits made offline are kept and sent.

"Another member" is a second ``Library`` on the same database. Its
notifications carry this process's id, which a watcher skips (its own window
refreshed already), so the tests give it another id once the window listens.
"""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from papershelf.core import live, pg
from papershelf.core import operations as ops
from papershelf.core.library import Library
from papershelf.gui.dialogs.shared_library import PLACEHOLDER, SharedLibraryDialog, without_password
from tests.pgcluster import lose_the_next_commit_answer

from .conftest import wait_search, wait_settled, wait_sidebar

WAIT_MS = 20_000  # bounds, not goals: the server's restart and the watcher's reconnection take a few seconds


@pytest.fixture
def shared(shared_sample) -> str:
    return shared_sample


@pytest.fixture
def open_window(qtbot):
    """``open_window(location)``: a main window on a library, shown and active; closed after the test."""
    from papershelf.gui.app import ensure_app
    from papershelf.gui.main_window import MainWindow

    made = []

    def make(location):
        app = ensure_app()
        window = MainWindow(icon=app.windowIcon())
        qtbot.addWidget(window)
        made.append(window)
        assert window.open_library(location)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        wait_search(qtbot, window)
        return window

    yield make
    for window in made:  # before the database is dropped
        window.close()


@pytest.fixture
def window(open_window, shared, qtbot):
    window = open_window(shared)
    listening(qtbot, window)
    return window


def listening(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.live.updates.watcher is not None, timeout=WAIT_MS)
    qtbot.waitUntil(window.live.updates.watcher.listening.is_set, timeout=WAIT_MS)


@pytest.fixture
def member(shared, monkeypatch):
    """Another member of the shared library (call it once the window listens)."""
    opened = []

    def make() -> Library:
        monkeypatch.setattr(pg, "CLIENT", "another-member")
        library = Library(shared)
        opened.append(library)
        return library

    yield make
    for library in opened:
        library.close()


def row_tags(window, paper_id: int) -> str:
    row = window.table_model.cached_row(paper_id)
    return row.tags if row is not None else ""


# --- The window on a shared library -----------------------------------------------------


def test_the_window_names_the_shared_library_without_its_password(open_window, shared, pg_cluster):
    with_password = shared.replace("postgres@", "postgres:s3cret@")  # trust authentication: any password works
    window = open_window(with_password)
    assert window.library is not None and window.library.shared
    assert window.windowTitle() == f"Papershelf — {pg.display(with_password)}"
    assert "s3cret" not in window.windowTitle()
    assert window.table_model.rowCount() == 49
    # Its backups are the server's: nothing to back up or restore here.
    assert not window.acts.backup_action.isEnabled() and not window.acts.restore_action.isEnabled()


def test_papershelf_library_url_opens_the_shared_library_after_the_first_paint(shared, qtbot):
    """``papershelf --library postgresql://…`` (and PAPERSHELF_LIBRARY) at start-up: opened on a worker, then live."""
    from papershelf.gui.app import create_window

    window = create_window(shared, deferred=True)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.libraryOpened, timeout=WAIT_MS):
        window.show()
    try:
        assert window.library is not None and window.library.location == shared
        assert window.windowTitle() == f"Papershelf — {pg.display(shared)}"
        listening(qtbot, window)
    finally:
        window.close()


def test_a_shared_library_that_cannot_be_reached_at_start_up_is_one_line(pg_cluster, qtbot, dialogs):
    from papershelf.gui.app import create_window

    nowhere = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/papers"
    window = create_window(nowhere, deferred=True)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.quitRequested, timeout=WAIT_MS):
        window.show()
    ((message, _info, _details),) = dialogs.take()
    assert message.startswith("postgresql://someone:***@127.0.0.1:") and "cannot open the shared library" in message
    assert "s3cret" not in message
    assert window.library is None


def test_another_members_tags_lists_and_deletes_appear_in_the_window(window, member, qtbot):
    first, second = window.table_model.ids[:2]
    other = member()
    started = time.monotonic()
    other.add_tags([first], ["zorblax"])
    qtbot.waitUntil(lambda: "zorblax" in row_tags(window, first), timeout=WAIT_MS)
    print(f"another member's tag shown after {(time.monotonic() - started) * 1000:.0f} ms")  # the goal: bench/
    qtbot.waitUntil(lambda: window.sidebar_model.find("tag", "zorblax").isValid(), timeout=WAIT_MS)

    other.run(ops.CreateList("Reading group"))
    qtbot.waitUntil(lambda: window.sidebar_model.find("list", "Reading group").isValid(), timeout=WAIT_MS)

    undo = other.run(ops.DeletePapers((second,))).inverse
    qtbot.waitUntil(lambda: second not in window.table_model.ids, timeout=WAIT_MS)
    assert window.table_model.rowCount() == 48
    other.run(undo)  # the paper comes back: a new row for this window
    qtbot.waitUntil(lambda: second in window.table_model.ids, timeout=WAIT_MS)
    wait_sidebar(qtbot, window)
    assert window.table_model.rowCount() == 49


def test_papers_another_member_imports_appear_in_the_window(window, member, qtbot, sample_json):
    before = window.table_model.rowCount()
    result = member().import_file(sample_json)
    assert result.added
    qtbot.waitUntil(lambda: window.table_model.rowCount() == before + result.added, timeout=WAIT_MS)
    assert set(result.paper_ids) <= set(window.table_model.ids)
    wait_sidebar(qtbot, window)


def test_the_windows_own_changes_are_not_read_twice(window, qtbot):
    first = window.table_model.ids[0]
    refreshed = []
    window.live.updates.changed.connect(refreshed.append)
    window.edits.add_tags(["mine"], [first])
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: "mine" in row_tags(window, first))
    qtbot.wait(300)
    assert refreshed == []


# --- Offline --------------------------------------------------------------------------


def test_an_edit_made_while_the_server_is_down_is_kept_and_sent_when_it_is_back(window, qtbot, pg_cluster, shared):
    first = window.table_model.ids[0]
    label = window.live.label
    pg_cluster.kill()
    try:
        qtbot.waitUntil(lambda: label.isVisible() and label.text() == "Offline", timeout=WAIT_MS)
        window.edits.add_tags(["on-the-train"], [first])
        window.edits.set_status("read", [first])
        qtbot.waitUntil(lambda: label.text() == "Offline: 2 changes waiting", timeout=WAIT_MS)
        assert "cannot be reached" in label.toolTip()
        # Kept on disk too, in order: a crash or a quit loses nothing. Written once the writer thread found
        # the server gone, which may come after the count shows (the watcher said Offline first): wait for it.
        path = live.pending_path(window.library)
        qtbot.waitUntil(
            lambda: [type(op) for op in live.load_pending(path)] == [ops.AddTags, ops.SetStatus], timeout=WAIT_MS
        )
        assert window.undo_stack.count() == 0  # undo of changes not sent yet is off
    finally:
        pg_cluster.restart()
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=WAIT_MS)
    wait_settled(qtbot, window)
    with Library(shared) as check:
        paper = check.get(first)
        assert paper.tags == ["on-the-train"] and paper.status == "read"
    assert not live.pending_path(window.library).exists()
    qtbot.waitUntil(lambda: "on-the-train" in row_tags(window, first), timeout=WAIT_MS)


def test_a_note_whose_save_landed_as_the_connection_died_is_saved_once(window, qtbot, shared, monkeypatch):
    # The runner tries a change again after a lost connection; this one had landed: one note, its undo works.
    first = window.table_model.ids[0]
    lost = lose_the_next_commit_answer(window.library, monkeypatch, thread="papershelf-writer")
    done: list[ops.Outcome] = []
    window.runner.submit(window.library, ops.AddNote(first, "a thought on the train"), on_done=done.append)
    qtbot.waitUntil(lambda: bool(lost), timeout=WAIT_MS)
    window.runner.resume()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    with Library(shared) as check:
        notes = check.get(first).notes
    assert [n.text for n in notes] == ["a thought on the train"] and done[0].result == notes[0].id


def test_a_server_that_hangs_does_not_freeze_the_window(window, qtbot, pg_cluster):
    # A paused server accepts TCP and never answers: a search on the window's thread waited for it forever.
    from PySide6.QtCore import QTimer

    from papershelf.core import deadline

    deadline.limit(1.0)  # the window's is WINDOW_WAIT_S; shorter here, to keep the test short
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    qtbot.waitUntil(lambda: len(ticks) >= 2)
    pids = pg_cluster.pause()
    wake = threading.Timer(30.0, pg_cluster.resume, [pids])  # a failing test fails, it does not hang
    wake.start()
    try:
        window.search_field.setText("agent")  # the detail pane looks for it in the PDFs, on the window's thread
        window.search_field.flush()
        qtbot.waitUntil(lambda: window.live.label.text() == "Offline", timeout=WAIT_MS)
        window.table.viewport().repaint()
        qtbot.wait(200)
        gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:], strict=False)]
        assert max(gaps) < 3.0, f"the window stood still for {max(gaps):.1f} s"
        assert window.detail.paper is not None  # it did look
    finally:
        timer.stop()
        wake.cancel()
        pg_cluster.resume(pids)
    deadline.answered()
    window.search_field.setText("")
    window.search_field.flush()
    wait_search(qtbot, window)
    assert window.table_model.rowCount() > 0


def test_a_paper_chosen_while_the_server_is_down_is_not_replaced_by_the_last_one(window, qtbot, pg_cluster):
    # Review: the detail pane kept showing the previous paper, and a tag typed there went to that paper.
    from papershelf.gui.widgets.detail_pane import UNREACHABLE

    window.table.select_row(0)
    qtbot.waitUntil(lambda: window.detail.paper is not None, timeout=WAIT_MS)
    chosen = window.table_model.paper_id(1)
    pg_cluster.kill()
    try:
        qtbot.waitUntil(lambda: window.live.label.text() == "Offline", timeout=WAIT_MS)
        window.table.select_row(1)
        assert window.detail.paper is None and window.detail.placeholder.text() == UNREACHABLE
    finally:
        pg_cluster.restart()
    qtbot.waitUntil(lambda: window.detail.paper is not None and window.detail.paper.id == chosen, timeout=WAIT_MS)


def test_a_window_closed_while_a_change_waits_on_a_server_that_hangs_closes_at_once_and_keeps_it(
    open_window, shared, qtbot, pg_cluster, dialogs
):
    # Review: Close waited a minute for the writer thread, stuck on the paused server, with the window frozen.
    window = open_window(shared)
    listening(qtbot, window)
    first = window.table_model.ids[0]
    pending = live.pending_path(window.library)
    pids = pg_cluster.pause()
    wake = threading.Timer(60.0, pg_cluster.resume, [pids])  # a failing test fails, it does not hang
    wake.start()
    try:
        window.edits.add_tags(["kept-while-hung"], [first])
        qtbot.wait(1500)
        assert window.runner.busy  # the writer thread waits on the paused server
        # Review: it said "Waiting for another program to finish writing to the library".
        from papershelf.gui.main_window import WAITING_FOR_SERVER

        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == WAITING_FOR_SERVER, timeout=WAIT_MS)
        dialogs.question = QMessageBox.StandardButton.Close
        start = time.monotonic()
        window.close()
        assert time.monotonic() - start < 15.0  # the session's two short waits, not the minute
        assert not window.isVisible() and "has not confirmed" in dialogs.questions[-1]
        assert [type(op) for op in live.load_pending(pending)] == [ops.AddTags]
    finally:
        wake.cancel()
        pg_cluster.resume(pids)
    again = open_window(shared)
    wait_settled(qtbot, again)
    qtbot.waitUntil(lambda: not pending.exists(), timeout=WAIT_MS)
    with Library(shared) as check:
        assert check.get(first).tags == ["kept-while-hung"]


def test_changes_kept_when_the_window_closes_offline_are_sent_when_the_library_opens_again(
    open_window, shared, qtbot, pg_cluster
):
    window = open_window(shared)
    listening(qtbot, window)
    first = window.table_model.ids[0]
    pending = live.pending_path(window.library)
    pg_cluster.kill()
    try:
        qtbot.waitUntil(lambda: window.live.label.text() == "Offline", timeout=WAIT_MS)
        window.edits.add_tags(["kept"], [first])
        qtbot.waitUntil(lambda: window.runner.is_offline, timeout=WAIT_MS)
        window.close()  # no question: the change is kept on disk
        assert not window.isVisible()
        assert [type(op) for op in live.load_pending(pending)] == [ops.AddTags]
    finally:
        pg_cluster.restart()
    again = open_window(shared)
    wait_settled(qtbot, again)
    qtbot.waitUntil(lambda: not pending.exists(), timeout=WAIT_MS)
    with Library(shared) as check:
        assert check.get(first).tags == ["kept"]
    assert "saved" in again.statusBar().currentMessage()


def test_a_kept_change_the_library_now_refuses_is_reported_in_one_line(open_window, shared, member, dialogs, qtbot):
    with Library(shared) as library:
        first, second = library.search_ids("")[:2]
        live.save_pending(
            live.pending_path(library),
            [ops.AddTags((first,), ("fine",)), ops.AddTags((second,), ("gone",)), ops.SetStatus((first,), "read")],
        )
    member().run(ops.DeletePapers((second,)))  # another member deleted it meanwhile
    window = open_window(shared)
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=WAIT_MS)
    (message, _info, details), *more = dialogs.take()
    assert not more
    assert message == f"A change made while offline was not saved: Tag 1 paper with gone: no paper with id {second}"
    assert "\n" not in message
    with Library(shared) as check:  # the others were sent, in order
        assert check.get(first).tags == ["fine"] and check.get(first).status == "read"
    assert not live.pending_path(window.library).exists()


def test_a_note_written_offline_is_kept_as_one_note_with_its_last_text(window, qtbot, pg_cluster, shared):
    """A note's editor saves its whole text again and again: kept on disk, that is one note, not one per save."""
    first = window.table_model.ids[0]
    note = NoteSaves(first)
    pg_cluster.kill()
    try:
        qtbot.waitUntil(lambda: window.live.label.text() == "Offline", timeout=WAIT_MS)
        for text in ("Read", "Read on the", "Read on the train"):
            window.runner.submit(window.library, note.saver(text))
        qtbot.waitUntil(lambda: window.live.label.text() == "Offline: 3 changes waiting", timeout=WAIT_MS)
        # Written to disk just after the count is shown (CI once read the file in between): wait for it.
        kept = [ops.AddNote(first, "Read on the train")]
        qtbot.waitUntil(lambda: live.load_pending(live.pending_path(window.library)) == kept, timeout=WAIT_MS)
    finally:
        pg_cluster.restart()
    qtbot.waitUntil(lambda: not window.live.label.isVisible(), timeout=WAIT_MS)
    with Library(shared) as check:  # in memory the three saves landed in order: one note, the last text
        assert [note.text for note in check.get(first).notes] == ["Read on the train"]


class NoteSaves:
    """As a note's editor saves (gui/widgets/notes_editor.py): the first save adds the note, the next ones update it
    from the text the last one saved. Its jobs share a ``pending_key``: the runner keeps only the last one's."""

    def __init__(self, paper_id: int):
        self.paper_id = paper_id
        self.note_id: int | None = None
        self.base: str | None = None

    def saver(self, text: str):
        def save(library):
            if self.note_id is None:
                outcome = library.run(ops.AddNote(self.paper_id, text))
                self.note_id = outcome.result
            else:
                outcome = library.run(ops.UpdateNote(self.note_id, text, base=self.base))
            self.base = text
            return outcome

        save.pending_key = self
        return save


def test_a_kept_note_someone_else_changed_meanwhile_is_reported_with_the_users_text(
    open_window, shared, member, dialogs, qtbot
):
    with Library(shared) as library:
        first = library.search_ids("")[0]
        note = library.run(ops.AddNote(first, "plan")).result
        live.save_pending(live.pending_path(library), [ops.UpdateNote(note, "plan: read section 3", base="plan")])
    member().run(ops.UpdateNote(note, "plan: skip it"))
    open_window(shared)
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=WAIT_MS)
    ((message, _info, details),) = dialogs.take()
    assert message.startswith("A change made while offline was not saved: ")
    assert "changed by someone else" in message and "\n" not in message
    assert "Your text:\nplan: read section 3" in details  # never lost: the details hold it, to copy


# --- File ▸ Open Shared Library… ----------------------------------------------------------


def drive_dialog(qtbot, monkeypatch, url: str | None, *, cancel_after_error: bool = True):
    """Replace the dialog's exec: type ``url``, press Open, wait for it to open (or to show an error)."""
    seen = {}

    def exec_(dialog):
        seen["dialog"] = dialog
        seen["prefilled"] = dialog.input.text()
        dialog.show()
        qtbot.waitExposed(dialog)
        if url is not None:
            dialog.input.setText(url)
            qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not dialog.opening, timeout=WAIT_MS)
            seen["error"] = dialog.error.text() if dialog.error.isVisible() else ""
        if dialog.isVisible():
            seen["still_open"] = True
            dialog.reject()
        return dialog.result()

    monkeypatch.setattr(SharedLibraryDialog, "exec", exec_)
    return seen


def test_open_shared_library_opens_it_and_remembers_the_url_without_the_password(
    open_window, lib_path, shared, qtbot, monkeypatch
):
    window = open_window(lib_path)  # a local library first
    assert not window.library.shared
    with_password = shared.replace("postgres@", "postgres:s3cret@")
    seen = drive_dialog(qtbot, monkeypatch, with_password)
    window.acts.open_shared_action.trigger()
    assert seen["prefilled"] == ""
    assert window.library is not None and window.library.shared
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 49
    assert "s3cret" not in window.windowTitle() and pg.display(shared) in window.windowTitle().replace(":***", "")
    assert window.settings.shared_url == shared  # the password is left out
    assert "s3cret" not in window.settings.store.value("shared/lastUrl")
    assert "not remembered" in window.statusBar().currentMessage()
    listening(qtbot, window)  # live from the start

    # Next time the dialog offers it again.
    seen = drive_dialog(qtbot, monkeypatch, None)
    window.acts.open_shared_action.trigger()
    assert seen["prefilled"] == shared


def test_open_shared_library_says_in_the_dialog_why_it_cannot_open(
    open_window, lib_path, pg_cluster, qtbot, monkeypatch
):
    window = open_window(lib_path)
    nowhere = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/papers"  # nothing listens there
    seen = drive_dialog(qtbot, monkeypatch, nowhere)
    window.acts.open_shared_action.trigger()
    assert seen["still_open"]  # for another try
    error = seen["error"]
    assert error.startswith("postgresql://someone:***@127.0.0.1:") and "cannot open the shared library" in error
    assert "s3cret" not in error and "\n" not in error
    assert not window.library.shared  # the local library stays
    assert window.settings.shared_url == ""

    seen = drive_dialog(qtbot, monkeypatch, "papers.sqlite3")
    window.acts.open_shared_action.trigger()
    assert seen["error"].startswith("A shared library's URL starts with postgresql://")


def test_the_dialog_explains_where_the_password_comes_from(qtbot):
    dialog = SharedLibraryDialog()
    qtbot.addWidget(dialog)
    assert dialog.input.placeholderText() == PLACEHOLDER == "postgresql://you@server/papers"
    explanation = dialog.findChild(type(dialog.error), "sharedExplanation").text()
    assert "~/.pgpass" in explanation and "service" in explanation and "never stores" in explanation
    assert not dialog.open_button.isEnabled()  # nothing typed yet


@pytest.mark.parametrize(
    "url, kept",
    [
        ("postgresql://ann:pw@db.lab/papers", "postgresql://ann@db.lab/papers"),
        (
            "postgresql://ann@db.lab/papers?password=pw&sslmode=verify-full",
            "postgresql://ann@db.lab/papers?sslmode=verify-full",
        ),
        (
            "postgresql://ann@db.lab/papers?sslmode=require&password=pw",
            "postgresql://ann@db.lab/papers?sslmode=require",
        ),
        ("postgres://:pw@db.lab/papers", "postgres://@db.lab/papers"),
        ("postgresql:///?service=lab", "postgresql:///?service=lab"),
    ],
)
def test_a_password_is_never_remembered(url, kept):
    from papershelf.gui.settings import Settings

    assert without_password(url) == kept
    settings = Settings()
    with pytest.raises(ValueError):
        settings.shared_url = url if url != kept else url + "?password=x"
    settings.shared_url = kept
    assert settings.shared_url == kept


def test_a_window_closed_while_changes_are_unconfirmed_asks_first(window, qtbot, dialogs, monkeypatch):
    """Not offline, but the server is slow to confirm: the user is asked (as for a local lock), and the changes kept."""
    dialogs.question = QMessageBox.StandardButton.Cancel
    with monkeypatch.context() as patched:
        patched.setattr(window.runner, "wait_idle", lambda _timeout: False)
        assert not window.session.changes_may_go("Close", QMessageBox.StandardButton.Close)
    assert "has not confirmed your last changes" in dialogs.questions[-1]
    assert not live.pending_path(window.library).exists()  # nothing kept: the user chose to wait
