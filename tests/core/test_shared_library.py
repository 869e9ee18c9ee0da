"""A shared library on PostgreSQL: opening it, its members' rights, and the server going away.

The core operations themselves run on both backends through the ``library``
fixture; these are what only a shared library has.
"""

from __future__ import annotations

import pytest

from papershelf.core import pg
from papershelf.core.errors import LibraryError, PapershelfError
from papershelf.core.library import Library
from tests.conftest import SAMPLE_TEXT


@pytest.fixture
def shared(pg_cluster, pg_database):
    """An empty shared library made the way `papershelf init-shared` makes one."""
    url = pg_database()
    Library(url, create=True).close()
    return url


def test_a_database_without_a_library_is_one_line_and_is_not_changed(pg_cluster, pg_database):
    url = pg_database()
    with pytest.raises(LibraryError) as info:
        Library(url)
    assert str(info.value) == (
        f"{url}: this database holds no Papershelf library; create one with: papershelf init-shared URL"
    )
    assert pg_cluster.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", url.rsplit("/", 1)[1]) == [(0,)]


def test_an_unreachable_server_is_one_line_without_the_password(pg_cluster):
    url = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/papers"  # nothing listens there
    with pytest.raises(LibraryError) as info:
        Library(url)
    message = str(info.value)
    assert message.startswith("postgresql://someone:***@127.0.0.1:") and "cannot open the shared library" in message
    assert "s3cret" not in message and "\n" not in message


def test_two_members_see_each_others_changes(shared):
    with Library(shared) as alice, Library(shared) as bob:
        alice.import_file(_source())
        first = alice.search_ids("")[0]
        bob.add_tags([first], ["zorblax"])
        assert alice.get(first).tags == ["zorblax"]
        assert alice.search_ids("tag:zorblax") == [first] == bob.search_ids("zorbl")


def test_a_read_only_member_reads_and_exports_but_changes_nothing(pg_cluster, shared):
    dbname = shared.rsplit("/", 1)[1]
    with Library(shared) as owner:
        owner.import_file(_source())
        first = owner.search_ids("")[0]
        owner.add_tags([first], ["kept"])
    role = f"reader_{dbname}"  # roles belong to the whole server: one per test
    pg_cluster.sql(f"CREATE ROLE {role} LOGIN")  # type: ignore[arg-type]
    pg_cluster.sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}", dbname)  # type: ignore[arg-type]
    with Library(pg_cluster.url(dbname, user=role)) as reader:
        assert reader.search_ids("tag:kept") == [first]
        assert reader.get(first).tags == ["kept"]
        with pytest.raises(PapershelfError) as info:
            reader.add_tags([first], ["mine"])
        assert str(info.value) == (
            f"{pg.display(reader.location or '')}: you have read-only access to this shared library; nothing was changed"
        )
    with Library(shared) as owner:
        assert owner.get(first).tags == ["kept"]


def test_a_write_while_the_server_is_down_is_one_line_and_the_library_works_again_after(pg_cluster, shared):
    with Library(shared) as library:
        library.import_file(_source())
        first = library.search_ids("")[0]
        pg_cluster.stop("immediate")
        try:
            with pytest.raises(PapershelfError) as info:
                library.add_tags([first], ["while-down"])
            assert "the shared library's server cannot be reached" in str(info.value)
            assert "\n" not in str(info.value)
        finally:
            pg_cluster.restart()
        library.add_tags([first], ["after"])  # the pool checks its connections: a dead one is replaced
        assert library.get(first).tags == ["after"]


def _source():
    from papershelf.core.importers import Source

    return Source.from_path(SAMPLE_TEXT)


def test_a_server_that_answers_no_is_not_called_unreachable(shared):
    # Review: every OperationalError read "the server cannot be reached", a lock timeout too.
    import psycopg

    with Library(shared) as library:
        library.import_file(_source())
        first = library.search_ids("")[0]
    with psycopg.connect(shared, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (pg.WRITE_LOCK,))  # another member's long write
        with Library(shared + "?options=-c%20lock_timeout%3D200") as impatient, pytest.raises(PapershelfError) as info:
            impatient.add_tags([first], ["waiting"])
    message = str(info.value)
    assert "the server refused the change (" in message and "lock timeout" in message
    assert "cannot be reached" not in message


def test_ligatures_and_full_width_letters_are_found_alike_on_both_backends(library, tmp_path):
    # Review: the shared library folded "ﬁ", "ｆ" and "①" (NFKD) where FTS5 keeps them: other results, same query.
    bib = tmp_path / "odd.bib"
    bib.write_text(
        "@article{a, title = {Eﬀective ﬁnite ｆｉｅｌｄｓ ① résumé}, year = {2020}}\n"
        "@article{b, title = {Effective finite fields resume}, year = {2020}}\n",
        encoding="utf-8",
    )
    from papershelf.core.importers import Source

    library.import_file(Source.from_path(bib))
    odd, plain = library.search_ids("", sort="id")
    assert library.search_ids("finite") == [plain]
    assert library.search_ids("ﬁnite") == [odd]
    assert library.search_ids("ｆｉｅｌｄｓ") == [odd]
    assert library.search_ids("①") == [odd]
    assert library.search_ids("resume") == [odd, plain]  # accents go on both


def test_tls_with_verify_full_connects_and_a_server_it_cannot_verify_is_refused(tmp_path):
    """sslmode=verify-full: the server's certificate must chain to the CA given and name the host."""
    from tests.pgcluster import Cluster, require_pg

    require_pg()
    cluster = Cluster(tls=True)
    cluster.start()
    try:
        cluster.create_database("tls")
        url = f"postgresql://postgres@localhost:{cluster.port}/tls?sslmode=verify-full&sslrootcert={cluster.ca_file}"
        with Library(url, create=True) as library:
            library.import_file(_source())
            with library.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar()
        other_ca = tmp_path / "other-ca.crt"  # another CA: the server cannot prove who it is
        subprocess_openssl(tmp_path, other_ca)
        with pytest.raises(LibraryError) as info:
            Library(url.replace(str(cluster.ca_file), str(other_ca)))
        assert "cannot open the shared library" in str(info.value) and "certificate verify failed" in str(info.value)
        # The right server under another name (hostaddr connects to it): its certificate does not name that host.
        impostor = url.replace("localhost", "papers.example.org") + "&hostaddr=127.0.0.1"
        with pytest.raises(LibraryError) as info:
            Library(impostor)
        assert "does not match host name" in str(info.value)
    finally:
        cluster.stop()
        cluster.cleanup()


def subprocess_openssl(folder, out) -> None:
    import subprocess

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Another CA",
         "-keyout", str(folder / "other.key"), "-out", str(out)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_searches_are_planned_for_their_own_words(shared):
    # Bench: psycopg prepared a search run five times and the server then planned it once for any words
    # ("llm a" took 380 ms on that generic plan, 8 ms planned for its words): nothing is prepared.
    with Library(shared) as library:
        for _ in range(8):
            library.search_ids("llm a", sort="added_at", limit=200)
        with library.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar() == 0


def test_a_rare_word_is_gathered_from_the_index_and_a_common_one_walked_in_sort_order(shared, shared_sample):
    # Bench: PostgreSQL walked the sort order testing each paper for a word held by a few thousand of
    # 97,000 papers (60-120 ms for the first page; 15 ms gathered from the index). The row estimate decides.
    from sqlalchemy import text

    from papershelf.core import db, search

    def few(library: Library, words: str, limit: int) -> bool:
        with db.read(library.engine) as conn:
            return pg.few_matches(conn, search.plan(words).match, limit)

    with Library(shared) as empty:
        assert not few(empty, "docthinker", 200)  # never analyzed: no estimate to go by, left to the planner
    with Library(shared_sample) as library:
        with library.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        assert few(library, "docthinker", 1)  # 1 of 49 papers
        assert not few(library, "the", 1)  # all 49: the first paper in any order holds it
        assert few(library, "the", 200)  # a page holds them all anyway
        assert library.search_ids("docthinker", sort="added_at", limit=1) == library.search_ids("docthinker")
        with library.engine.connect() as conn:  # short queries: no parallel workers to start for them
            assert conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == "0"


@pytest.mark.parametrize(
    ("url", "password"),
    [("postgresql://alice:pa/ss@127.0.0.1:1/papers", "pa/ss"), ("postgresql://alice:p@ss@127.0.0.1:1/papers", "p@ss")],
)
def test_a_password_with_an_unencoded_at_or_slash_is_refused_without_showing_it(url, password):
    # Review: libpq took part of such a password for the host, and the whole URL or a piece of it was shown.
    with pytest.raises(LibraryError) as info:
        Library(url)
    message = str(info.value)
    assert "%40 and %2F" in message and "\n" not in message
    assert password not in message and "ss@" not in message and "ss/" not in message
    assert pg.display(url) == "postgresql://alice:***@127.0.0.1:1/papers"
