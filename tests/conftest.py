"""Shared fixtures: every test gets its own temporary profile and library."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_TEXT = FIXTURES / "hf-daily-papers-sep-11.txt"
SAMPLE_JSON = FIXTURES / "hf-daily-papers-api-sample.json"

sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import settings as _hypothesis  # noqa: E402

from papershelf.core import db as _db  # noqa: E402
from tests.pgcluster import pg_cluster_fixture, pg_database_fixture  # noqa: E402, F401  (fixtures)

# CI replays the same examples on every run, so a landing never fails on a
# new random draw; property tests explore freely on developers' machines.
_hypothesis.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    _hypothesis.load_profile("ci")

# Nothing but SQLite may open a library file, or its -wal/-shm, while this
# process has a connection to it (closing any descriptor on the file drops
# SQLite's locks). The guard refuses such an open anywhere in the suite, and
# the fixture below fails the test even where the code swallowed the error.
_db.install_open_guard()


@pytest.fixture(autouse=True)
def _no_library_file_opened():
    _db.violations.clear()
    yield
    found, _db.violations[:] = list(_db.violations), []
    assert not found, f"Python code opened a library file SQLite holds open: {found}"


@pytest.fixture(autouse=True)
def _isolated_profile(tmp_path_factory, monkeypatch):
    """No test ever touches the real user profile."""
    home = tmp_path_factory.mktemp("profile")
    monkeypatch.setenv("PAPERSHELF_HOME", str(home))
    monkeypatch.delenv("PAPERSHELF_LIBRARY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "xdg-state"))
    return home


@pytest.fixture(autouse=True)
def _no_wait_limit_left():
    """A window made in a test limits its thread's waits for a server (core/deadline.py): not the next test's."""
    yield
    from papershelf.core import deadline

    deadline.limit(None)
    deadline.answered()


@pytest.fixture(autouse=True)
def _no_log_handler_left():
    """The log handler a test set up (papershelf.logs.setup) goes with it, so no test writes into another's profile."""
    yield
    root = logging.getLogger("papershelf")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def library_path(tmp_path) -> Path:
    return tmp_path / "lib" / "library.sqlite3"


#: The database every shared-library test starts from: Papershelf's schema, migrated once a session.
PG_TEMPLATE = "ps_template"


def _make_template(url: str) -> None:
    from papershelf.core.library import Library

    Library(url, create=True).close()


def pytest_generate_tests(metafunc):
    """Each test that takes a ``library`` runs on both backends: a local file and a shared server.

    ``@pytest.mark.sqlite_only`` (with its reason) keeps a test on the file: it checks the SQLite file
    itself (its locks, pragmas, backups or damage) or the SQLite-only export cache.
    """
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("backend", ["sqlite"] if only else ["sqlite", "postgresql"])


@pytest.fixture
def backend() -> str:
    """Overridden by :func:`pytest_generate_tests`: "sqlite" or "postgresql"."""
    raise AssertionError("backend is parametrized by pytest_generate_tests")


@pytest.fixture
def library_location(backend, library_path, request) -> str | Path:
    """Where ``library`` lives: the SQLite file, or a fresh PostgreSQL database (``postgresql://…``)."""
    if backend == "sqlite":
        return library_path
    cluster = request.getfixturevalue("pg_cluster")
    cluster.ensure_template(PG_TEMPLATE, _make_template)
    return request.getfixturevalue("pg_database")(template=PG_TEMPLATE)


@pytest.fixture
def shared_sample(pg_cluster, pg_database) -> str:
    """A shared library holding the sample listing (49 papers), its URL."""
    from papershelf.core.importers import Source
    from papershelf.core.library import Library

    pg_cluster.ensure_template(PG_TEMPLATE, _make_template)
    url = pg_database(template=PG_TEMPLATE)
    with Library(url) as library:
        library.import_file(Source.from_path(SAMPLE_TEXT))
    return url


@pytest.fixture
def library(library_location):
    from papershelf.core.library import Library

    lib = Library(library_location)
    yield lib
    lib.close()


@pytest.fixture
def sample_text(tmp_path) -> Path:
    target = tmp_path / SAMPLE_TEXT.name
    shutil.copy(SAMPLE_TEXT, target)
    return target


@pytest.fixture
def sample_json(tmp_path) -> Path:
    target = tmp_path / "listing.json"
    shutil.copy(SAMPLE_JSON, target)
    return target


HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@pytest.fixture
def lock_holder():
    """``hold(path)``: another process holding the library's write lock (BEGIN IMMEDIATE) until its stdin closes."""
    import subprocess

    holders = []

    def hold(path) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "locked"
        holders.append(proc)
        return proc

    yield hold
    for proc in holders:
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.wait(10)
