"""The throwaway PostgreSQL server of tests/pgcluster.py: start, databases, templates, a killed server's restart."""

from __future__ import annotations

import psycopg
import pytest

from tests import pgcluster
from tests.pgcluster import Cluster, pg_cluster_fixture, pg_database_fixture, require_pg  # noqa: F401 (the fixtures)


def test_the_server_answers(pg_cluster):
    assert pg_cluster.url("postgres") == f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/postgres"
    with psycopg.connect(pg_cluster.url("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
    assert pg_cluster.sql("SHOW fsync") == [("off",)]


def test_create_and_drop_a_database_with_a_client_connected(pg_cluster):
    url = pg_cluster.create_database("ps_scratch")
    with psycopg.connect(url) as client:
        client.execute("CREATE TABLE t (i int)")  # left in a transaction: the drop disconnects it
        pg_cluster.drop_database("ps_scratch")
        assert pg_cluster.sql("SELECT 1 FROM pg_database WHERE datname = 'ps_scratch'") == []
        with pytest.raises(psycopg.OperationalError):
            client.execute("SELECT 1")
    pg_cluster.drop_database("ps_scratch")  # already gone: nothing to do


def test_each_database_is_new(pg_cluster, pg_database):
    first, second = pg_database(), pg_database()
    assert first != second
    assert first.rsplit("/", 1)[1].startswith("ps_test_")
    with psycopg.connect(first) as conn:
        conn.execute("CREATE TABLE t (i int)")
    with psycopg.connect(second) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_a_database_made_from_the_template_has_its_table(pg_cluster, pg_database):
    calls, left_open = [], []

    def setup(url):
        calls.append(url)
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE paper (title text)")
            conn.execute("INSERT INTO paper VALUES ('Attention')")
        left_open.append(psycopg.connect(url))  # a pooled engine's connection must not stop the clones

    template = pg_cluster.ensure_template("ps_template_test", setup)
    assert pg_cluster.ensure_template("ps_template_test", setup) == template == "ps_template_test"
    assert len(calls) == 1
    first, second = pg_database(template=template), pg_database(template=template)
    with psycopg.connect(first) as conn:
        assert conn.execute("SELECT title FROM paper").fetchall() == [("Attention",)]
        conn.execute("INSERT INTO paper VALUES ('Only here')")
    with psycopg.connect(second) as conn:
        assert conn.execute("SELECT count(*) FROM paper").fetchone() == (1,)
    left_open[0].close()


def test_a_killed_server_restarts_with_the_committed_data():
    cluster = Cluster(require_pg())
    try:
        cluster.start()
        port, folder = cluster.port, cluster.folder
        url = cluster.create_database("ps_crash")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE edit (n int)")
        conn = psycopg.connect(url)
        conn.execute("INSERT INTO edit SELECT generate_series(1, 100)")
        conn.commit()
        conn.execute("INSERT INTO edit VALUES (-1)")  # in flight when the server dies
        cluster.kill()
        conn.close()  # no commit (its backend may not have noticed the crash yet)
        assert not cluster.running
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)

        cluster.restart()
        assert (cluster.port, cluster.folder) == (port, folder)
        assert cluster.sql("SELECT count(*), min(n) FROM edit", "ps_crash") == [(100, 1)]
        cluster.restart()  # a running server: stopped, then started
        cluster.stop("immediate")
        assert not cluster.running
    finally:
        cluster.cleanup()
    assert not folder.exists()


def test_find_binaries():
    bindir = pgcluster.find_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    assert (bindir / "initdb").is_file() and (bindir / "postgres").is_file()


def test_without_postgresql_the_tests_skip_unless_required(monkeypatch):
    monkeypatch.setattr(pgcluster, "find_binaries", lambda: None)
    monkeypatch.delenv("PAPERSHELF_REQUIRE_PG", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not installed"):
        require_pg()
    monkeypatch.setenv("PAPERSHELF_REQUIRE_PG", "1")
    with pytest.raises(pytest.fail.Exception, match="PAPERSHELF_REQUIRE_PG=1"):
        require_pg()
