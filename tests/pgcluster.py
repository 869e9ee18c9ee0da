"""A throwaway PostgreSQL server for the tests: one temporary folder, one free port, gone afterwards.

    from tests.pgcluster import pg_cluster_fixture, pg_database_fixture  # noqa: F401 (gives `pg_cluster`, `pg_database`)

    def test_shared_library(pg_cluster, pg_database):
        url = pg_database()  # postgresql://postgres@127.0.0.1:PORT/ps_test_1, dropped after the test
        template = pg_cluster.ensure_template("ps_template", migrate)  # migrate(url) runs once per session
        clone = pg_database(template=template)  # CREATE DATABASE ... TEMPLATE: a copy in milliseconds

:class:`Cluster` runs ``initdb`` and ``postgres`` from :func:`find_binaries` in a fresh temporary folder (data
directory, Unix socket, server log), listening on 127.0.0.1 only with trust authentication for the superuser
``postgres``. Durability is traded for speed (``fsync``, ``full_page_writes`` off): the data survives a killed
server (:meth:`Cluster.kill`, then :meth:`Cluster.restart`), not a machine crash. initdb and postgres refuse
to run as root, so as root they run as the ``postgres`` system user, which owns the folder.

The fixtures skip without PostgreSQL, unless ``PAPERSHELF_REQUIRE_PG=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import psycopg
import pytest
from psycopg import sql

if TYPE_CHECKING:
    from typing_extensions import LiteralString

TIMEOUT = 30.0  # seconds: initdb, start (crash recovery included), stop
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    # Not off: an asynchronous commit is lost when the server is killed within ~0.2 s of it, and the crash
    # tests rely on every acknowledged commit surviving kill(). With fsync off a commit is a write() to the
    # WAL file in the OS cache, which costs nothing measurable (3000 commits: 0.45 s either way).
    "synchronous_commit": "on",
    "full_page_writes": "off",
    "max_connections": "200",
}
_STOP_SIGNALS = {"fast": signal.SIGINT, "immediate": signal.SIGQUIT}


class ClusterError(RuntimeError):
    """The server could not be set up, started or stopped; the message ends with the server log's tail."""


def find_binaries() -> Path | None:
    """The folder with initdb and postgres: pg_ctl and initdb's on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = [shutil.which(name) for name in ("pg_ctl", "initdb")]
    candidates = [Path(found).resolve().parent for found in on_path if found]
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Cluster:
    """A PostgreSQL server of its own: ``start()``, then ``url(db)``; ``cleanup()`` stops it and removes the folder."""

    def __init__(self, bindir: Path | None = None, *, tls: bool = False) -> None:
        """``tls``: the server also speaks TLS, with a certificate for localhost and 127.0.0.1 signed by a
        throwaway CA (``ca_file``), made with the openssl command."""
        self.tls = tls
        found = bindir or find_binaries()
        if found is None:
            raise ClusterError("PostgreSQL is not installed (no initdb/postgres on PATH or in /usr/lib/postgresql)")
        self.bindir = found
        self.folder: Path | None = None
        self.port = 0
        self._server: subprocess.Popen[bytes] | None = None
        self._templates: set[str] = set()
        self._log_start = 0  # where the server log of the last launch begins
        # Root runs the server as `postgres`: its own child (not via runuser), so kill() knows the
        # postmaster's pid and reaps it, even where PID 1 reaps no orphans.
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError("as root, initdb and postgres run as the `postgres` user: there is none") from None
            self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    @property
    def running(self) -> bool:
        """The postmaster is alive (it may still be shutting down or recovering)."""
        return self._server is not None and self._server.poll() is None

    def start(self) -> None:
        """initdb in a fresh temporary folder, then start the server on a free port."""
        self.folder = Path(tempfile.mkdtemp(prefix="papershelf-pg-"))
        if self._as:
            os.chown(self.folder, self._as["user"], self._as["group"])
        for locale in ("C.UTF-8", "C"):  # C.UTF-8 is missing on some systems (macOS)
            shutil.rmtree(self.folder / "data", ignore_errors=True)
            initdb = [str(self.bindir / "initdb"), "-D", "data", "-A", "trust", "-U", "postgres", "--no-sync"]
            done = self._run([*initdb, "-E", "UTF8", f"--locale={locale}"])
            if done.returncode == 0:
                break
        else:
            raise ClusterError(f"initdb failed:\n{done.stdout.decode(errors='replace')}")
        if self.tls:
            self._make_certificates()
        for attempt in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            try:
                self._launch()
                return
            except ClusterError as e:
                if attempt == 2 or "could not create any TCP/IP sockets" not in str(e):
                    raise

    def stop(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        """Shut the server down: "fast" (roll back and disconnect the clients) or "immediate" (recover at start)."""
        if self._server is None:
            return
        if self._server.poll() is None:
            self._server.send_signal(_STOP_SIGNALS[mode])
            try:
                self._server.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
                raise ClusterError(f"the server did not stop ({mode}) within {TIMEOUT} s{self._log_tail()}") from None
        self._server = None

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would; its backends notice and exit. ``restart()`` recovers."""
        if self._server is not None:
            self._server.kill()
            self._server.wait()

    def pause(self) -> list[int]:
        """SIGSTOP the postmaster and its backends: a server that hangs (its machine paused). Its pids, for resume()."""
        assert self._server is not None
        pids = [self._server.pid, *_children(self._server.pid)]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def resume(self, pids: list[int]) -> None:
        """SIGCONT what :meth:`pause` stopped."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def restart(self) -> None:
        """Stop the server if it runs, then start it again: same port, same data (after crash recovery)."""
        self.stop()
        self._launch()

    def url(self, dbname: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def sql(
        self, statement: LiteralString | sql.Composed, dbname: str = "postgres", params: Any = None
    ) -> list[tuple[Any, ...]]:
        """Run one statement outside a transaction (autocommit); its rows, if it returns any."""
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=int(TIMEOUT)) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given); its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.sql(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Disconnect everyone from the database, then drop it (if it exists)."""
        self._disconnect(name)
        self.sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def ensure_template(self, name: str, setup: Callable[[str], None]) -> str:
        """Create the template database once: ``setup(url)`` fills it, then it is marked a template; its name."""
        if name not in self._templates:
            self.drop_database(name)
            url = self.create_database(name)
            try:
                setup(url)
            except BaseException:
                self.drop_database(name)
                raise
            self.sql(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(name)))
            self._disconnect(name)  # CREATE DATABASE ... TEMPLATE refuses a template anyone is connected to
            self._templates.add(name)
        return name

    def cleanup(self) -> None:
        """Stop the server (immediate: nothing is kept) and remove the folder."""
        try:
            self.stop("immediate")
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def _disconnect(self, dbname: str) -> None:
        self.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            params=(dbname,),
        )

    @property
    def ca_file(self) -> Path:
        """The CA certificate that signed the server's (``sslrootcert=`` for ``sslmode=verify-full``)."""
        assert self.folder is not None, "start() first"
        return self.folder / "ca.crt"

    def _make_certificates(self) -> None:
        assert self.folder is not None
        folder = self.folder

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=TIMEOUT)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Papershelf test CA",
                "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                "-out", "server.csr")  # fmt: skip
        (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip
        key = folder / "server.key"
        key.chmod(0o600)
        if self._as:
            os.chown(key, self._as["user"], self._as["group"])
            os.chown(folder / "server.crt", self._as["user"], self._as["group"])

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            args, cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT, **self._as
        )

    def _launch(self) -> None:
        """Start postgres on the existing data; return once it accepts connections."""
        deadline = time.monotonic() + TIMEOUT
        while not self._spawn(deadline):
            tail = self._log_tail()
            # The backends of a killed server exit a moment after it, and hold its shared memory until then.
            if "is still in use" not in tail or time.monotonic() > deadline:
                raise ClusterError(f"the server did not start{tail}")
            time.sleep(0.05)

    def _spawn(self, deadline: float) -> bool:
        """Run postgres; True once it accepts connections, False if it exited."""
        assert self.folder is not None, "start() first"
        sockets = self.folder / "sockets"
        sockets.mkdir(exist_ok=True)
        if self._as:
            os.chown(sockets, self._as["user"], self._as["group"])
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": str(sockets)}
        if self.tls:
            settings.update(
                ssl="on", ssl_cert_file=str(self.folder / "server.crt"), ssl_key_file=str(self.folder / "server.key")
            )
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        log = self.folder / "server.log"
        self._log_start = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            server = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", "data", *options],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                **self._as,
            )
        self._server = server
        while not self._ready(server.pid):
            if server.poll() is not None:
                self._server = None
                return False
            if time.monotonic() > deadline:
                self.stop("immediate")
                raise ClusterError(f"the server was not ready within {TIMEOUT} s{self._log_tail()}")
            time.sleep(0.02)
        return True

    def _ready(self, pid: int) -> bool:
        """postmaster.pid names this server and says "ready" (PostgreSQL 10+): it accepts connections."""
        assert self.folder is not None
        try:
            lines = (self.folder / "data" / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0] == str(pid) and lines[7].strip() == "ready"

    def _log_tail(self, lines: int = 30) -> str:
        if self.folder is None or not (self.folder / "server.log").exists():
            return ""
        with (self.folder / "server.log").open("rb") as f:
            f.seek(self._log_start)
            tail = f.read().decode(errors="replace").splitlines()[-lines:]
        return "\nserver log:\n" + "\n".join(tail) if tail else ""


def require_pg() -> Path:
    """The folder of the PostgreSQL binaries; skips the calling test without them (fails if PAPERSHELF_REQUIRE_PG=1)."""
    bindir = find_binaries()
    if bindir is None:
        if os.environ.get("PAPERSHELF_REQUIRE_PG") == "1":
            pytest.fail(
                "PostgreSQL is not installed (no pg_ctl/initdb on PATH or in /usr/lib/postgresql/*/bin) "
                "and PAPERSHELF_REQUIRE_PG=1"
            )
        pytest.skip("PostgreSQL is not installed")
    return bindir


_database_numbers = itertools.count(1)


@pytest.fixture(name="pg_cluster", scope="session")
def pg_cluster_fixture() -> Iterator[Cluster]:
    """One PostgreSQL server for the whole test session, removed at its end."""
    cluster = Cluster(require_pg())
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(name="pg_database")
def pg_database_fixture(pg_cluster: Cluster) -> Iterator[Callable[..., str]]:
    """``pg_database(template=None)``: a new database ``ps_test_<n>``, its URL; all of them dropped after the test."""
    created: list[str] = []

    def create(template: str | None = None) -> str:
        name = f"ps_test_{next(_database_numbers)}"
        created.append(name)
        return pg_cluster.create_database(name, template=template)

    yield create
    if not pg_cluster.running:  # a test killed the server and failed before its restart()
        pg_cluster.restart()
    for name in created:
        pg_cluster.drop_database(name)


def lose_the_next_commit_answer(library: Any, monkeypatch: pytest.MonkeyPatch, thread: str | None = None) -> list[int]:
    """The next COMMIT lands on the server, then fails as libpq fails when the connection dies before the answer.

    ``thread``: the next one made on the thread of that name (the app's window reads on its own thread).
    """
    dialect = library.engine.dialect
    real = dialect.do_commit
    lost: list[int] = []

    def commit(dbapi_connection: Any) -> None:
        real(dbapi_connection)
        if not lost and (thread is None or threading.current_thread().name == thread):
            lost.append(1)
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", commit)
    return lost


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (the postmaster's backends), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found
