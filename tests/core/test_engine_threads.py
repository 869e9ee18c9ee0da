"""The app reads the library from several threads at once (search, sidebar, exports, the GUI itself)."""

from __future__ import annotations

import threading

from papershelf.core import db

#: More threads than SQLAlchemy's per-thread pool keeps (5): the app has the GUI thread and
#: worker pools for searching, the sidebar and imports or exports.
THREADS = 8


def test_threads_reading_at_once_never_lose_their_connection(library, sample_text):
    library.import_file(sample_text)
    barrier = threading.Barrier(THREADS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            with db.read(library.engine) as conn:
                conn.exec_driver_sql("SELECT count(*) FROM paper").scalar_one()
                barrier.wait(timeout=20)  # every thread holds its read transaction now
                counts.append(conn.exec_driver_sql("SELECT count(*) FROM paper").scalar_one())
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=reader) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[0]
    assert counts == [49] * THREADS
    assert library.count() == 49
