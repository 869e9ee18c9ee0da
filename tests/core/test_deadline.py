"""A shared library's server that hangs: a thread with a limit (the window's) fails in seconds, not never.

A paused server (SIGSTOP: its machine suspended, or overloaded) still accepts
TCP, so neither libpq's keepalives nor its TCP timeout ever fire: before
core/deadline.py, a search on the window's thread waited until the server
woke up, and the window froze for as long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from papershelf.core import deadline, live
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library

#: A bound, not a goal: the limit is 1 s; a frozen call would take until the safety net wakes the server.
BOUND_S = 15.0
#: The safety net: the paused server is woken after this long, so a failing test fails rather than hangs.
WAKE_S = 30.0


@pytest.fixture
def paused(pg_cluster) -> Iterator[object]:
    """``paused.start()`` stops the server's processes; it is woken after the test (or after WAKE_S)."""

    class Paused:
        pids: list[int] = []
        timer: threading.Timer | None = None

        def start(self) -> None:
            self.pids = pg_cluster.pause()
            self.timer = threading.Timer(WAKE_S, pg_cluster.resume, [self.pids])
            self.timer.start()

        def wake(self) -> None:
            if self.timer is not None:
                self.timer.cancel()
            pg_cluster.resume(self.pids)

    pause = Paused()
    yield pause
    pause.wake()
    deadline.limit(None)
    deadline.answered()


def test_a_server_that_hangs_fails_the_limited_thread_as_unreachable_and_it_works_again_after(shared_sample, paused):
    with Library(shared_sample) as library:
        first = library.search_ids("", limit=5)
        deadline.limit(1.0)
        paused.start()
        start = time.monotonic()
        with pytest.raises(PapershelfError) as info:
            library.search_ids("agent", limit=5)
        assert time.monotonic() - start < BOUND_S
        assert live.is_disconnect(info.value) and "did not answer" in str(info.value)
        assert "\n" not in str(info.value)
        # The next call (a repaint asks for rows again and again) fails at once rather than waiting again.
        start = time.monotonic()
        with pytest.raises(PapershelfError) as info:
            library.rows(first)
        assert time.monotonic() - start < 0.5 and live.is_disconnect(info.value)
        paused.wake()
        deadline.answered()  # the watcher heard from the server
        assert library.search_ids("", limit=5) == first


def test_a_thread_without_a_limit_is_not_cut_short(shared_sample, paused):
    # The writer thread has none: a change waits for a slow server rather than fail half-way.
    with Library(shared_sample) as library:
        found: list[list[int]] = []
        deadline.limit(0.5)
        worker = threading.Thread(target=lambda: found.append(library.search_ids("agent", limit=5)))
        paused.start()
        worker.start()
        time.sleep(1.5)
        assert worker.is_alive() and not found  # waiting, past the other thread's limit
        paused.wake()
        worker.join(BOUND_S)
        assert found and found[0] == library.search_ids("agent", limit=5)


def test_the_watcher_says_offline_when_the_server_hangs_and_online_when_it_wakes(shared_sample, paused, monkeypatch):
    monkeypatch.setattr(live, "ANSWER_S", 1.0)
    states: list[str] = []
    watcher = live.Watcher(shared_sample, lambda _changes: None, states.append, ping_s=0.2).start()
    try:
        deadline_at = time.monotonic() + BOUND_S
        while live.ONLINE not in states and time.monotonic() < deadline_at:
            time.sleep(0.05)
        paused.start()
        while states[-1:] != [live.OFFLINE] and time.monotonic() < deadline_at:
            time.sleep(0.05)
        assert states[-1:] == [live.OFFLINE]
        paused.wake()
        deadline_at = time.monotonic() + BOUND_S
        while states[-1:] != [live.ONLINE] and time.monotonic() < deadline_at:
            time.sleep(0.05)
        assert states[-1:] == [live.ONLINE]
    finally:
        watcher.stop()
