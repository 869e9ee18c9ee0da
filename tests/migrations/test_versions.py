"""Migrations 0007 (SQLite) and pg0002 (PostgreSQL): every paper and note gets a version the database keeps.

Also: the schema the migrations make has the columns the code's tables declare, on both backends.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from papershelf.core import pg
from papershelf.core.library import Library
from papershelf.core.schema import Base

FIXTURES = Path(__file__).parent / "fixtures"


def test_shared_schema_head_constant_matches_alembic():
    assert pg.alembic_head() == pg.SCHEMA_HEAD


def columns(engine: sa.Engine) -> dict[str, dict[str, tuple[bool, bool]]]:
    """table -> column -> (nullable, has a server default), as the database has them, for the code's tables."""
    inspector = sa.inspect(engine)
    return {
        table: {c["name"]: (bool(c["nullable"]), c.get("default") is not None) for c in inspector.get_columns(table)}
        for table in Base.metadata.tables
    }


def declared() -> dict[str, dict[str, bool]]:
    return {
        name: {column.name: bool(column.nullable) for column in table.columns}
        for name, table in Base.metadata.tables.items()
    }


#: Columns only a shared library has, which the code's tables leave out: the member who bound a live file (pg0003).
SHARED_ONLY = {("autoexport", "member")}


def test_the_migrated_schema_has_the_columns_the_code_declares(library):
    found = columns(library.engine)
    if library.shared:
        assert all(found[table].pop(column) == (False, True) for table, column in SHARED_ONLY)
    assert {t: {c: n for c, (n, _) in cols.items()} for t, cols in found.items()} == declared()
    assert found["paper"]["version"] == found["note"]["version"] == (False, True)


def test_an_old_library_is_upgraded_with_every_row_at_version_one(tmp_path):
    path = tmp_path / "library.sqlite3"
    shutil.copy(FIXTURES / "library-0001.sqlite3", path)
    with Library(path, backups_dir=tmp_path / "backups") as lib:
        first = lib.get(lib.search_ids("")[0])
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT DISTINCT version FROM paper").scalars().all() == [1]
            assert conn.exec_driver_sql("SELECT DISTINCT version FROM note").scalars().all() == [1]
        lib.set_status([first.id], "read")
        lib.update_note(first.notes[0].id, "changed")
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT version FROM paper WHERE id = {first.id}").scalar() == 2
            assert conn.exec_driver_sql(f"SELECT version FROM note WHERE id = {first.notes[0].id}").scalar() == 2
        # The entry cache's triggers (0005) survived the new column: a title change still drops the entry.
        with lib.engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO entry_cache (paper_id, variant, text) VALUES ({first.id}, 'x', 'y')")
        lib.set_title(first.id, "Another title")
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM entry_cache").scalar() == 0


def test_a_shared_library_at_pg0001_is_upgraded_with_every_row_at_version_one(pg_cluster, pg_database):
    from alembic import command

    url = pg_database()
    engine = pg.make_engine(url)
    try:
        config = pg._alembic_config()
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "pg0001")
            conn.exec_driver_sql(
                "INSERT INTO paper (id, title, title_key, added_at, citation_key)"
                " VALUES (7, 'Old', 'old', '2025-01-01 10:00', 'old2025')"
            )
            conn.exec_driver_sql(
                "INSERT INTO note (id, paper_id, text, created_at, updated_at)"
                " VALUES (3, 7, 'n', '2025-01-01 10:00', '2025-01-01 10:00')"
            )
            conn.commit()
    finally:
        engine.dispose()
    with Library(url) as lib:
        assert pg.revision(lib.engine) == pg.SCHEMA_HEAD
        assert lib.get(7).notes[0].version == 1
        lib.set_priority([7], 2)
        lib.update_note(3, "changed")
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version FROM paper WHERE id = 7").scalar() == 2
            assert conn.exec_driver_sql("SELECT version FROM note WHERE id = 3").scalar() == 2


@pytest.mark.sqlite_only("downgrade of the file's schema; a shared library's first revision is not taken down")
def test_0007_downgrades_cleanly(library):
    from alembic import command

    from papershelf.core import migrate

    config = migrate._alembic_config()
    with library.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
        conn.commit()
        assert "version" not in [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(paper)")]
        triggers = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
        assert "paper_version" not in triggers and "entry_cache_paper" in triggers
