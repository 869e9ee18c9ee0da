"""Opening libraries: new, current, older (upgrade with a backup), newer, foreign, damaged."""

import hashlib
import shutil
import sqlite3
import textwrap
import zipfile
from pathlib import Path

import pytest

from papershelf.core import db, migrate
from papershelf.core.errors import LibraryError
from papershelf.core.library import Library

FIXTURES = Path(__file__).parent / "fixtures"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_schema_head_constant_matches_alembic():
    assert migrate.alembic_head() == db.SCHEMA_HEAD


@pytest.fixture
def old_library(tmp_path) -> Path:
    target = tmp_path / "library.sqlite3"
    shutil.copy(FIXTURES / "library-0001.sqlite3", target)
    return target


def test_released_0001_library_opens_with_its_data(old_library):
    with Library(old_library) as lib:
        assert lib.count() == 51
        first = lib.get(lib.search_ids("")[0])
        assert first.tags == ["explainability", "rl"]
        assert [n.text for n in first.notes] == ["A note written with schema 0001."]
        assert lib.list_paper_ids("Thesis") == lib.search_ids("")[5:8]
        assert lib.search_ids("schema") == [first.id]


@pytest.fixture
def pending_migration(tmp_path, monkeypatch):
    """A copy of the migrations with one more revision, as a future release would have."""

    head = db.SCHEMA_HEAD
    following = f"{int(head) + 1:04d}"

    def make(body: str) -> None:
        scripts = tmp_path / "migrations"
        shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        (scripts / "versions" / f"{following}_test.py").write_text(
            textwrap.dedent(
                f"""
                import sqlalchemy as sa
                from alembic import op

                revision = "{following}"
                down_revision = "{head}"
                branch_labels = None
                depends_on = None


                def upgrade():
                """
            )
            + textwrap.indent(textwrap.dedent(body), "    ")
        )
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
        monkeypatch.setattr(db, "SCHEMA_HEAD", following)

    return make


def test_upgrade_takes_a_backup_first_and_keeps_the_data(old_library, tmp_path, pending_migration):
    pending_migration('op.add_column("paper", sa.Column("rating", sa.Integer))')
    backups = tmp_path / "backups"
    with Library(old_library, backups_dir=backups) as lib:
        assert lib.count() == 51
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == db.SCHEMA_HEAD
            assert "rating" in [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(paper)")]
    (backup,) = backups.glob("library-before-schema-*.sqlite3.zip")
    unpacked = tmp_path / "unpacked.sqlite3"
    unpacked.write_bytes(zipfile.ZipFile(backup).read("library.sqlite3"))
    conn = sqlite3.connect(unpacked)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert conn.execute("SELECT count(*) FROM paper").fetchone() == (51,)
    assert "rating" not in [r[1] for r in conn.execute("PRAGMA table_info(paper)")]
    conn.close()


def test_a_failing_upgrade_leaves_the_library_as_it_was(old_library, tmp_path, pending_migration):
    pending_migration(
        """
        op.add_column("paper", sa.Column("rating", sa.Integer))
        op.execute("UPDATE paper SET title = 'broken'")
        raise RuntimeError("simulated failure halfway through a migration")
        """
    )
    with pytest.raises(RuntimeError):
        Library(old_library, backups_dir=tmp_path / "backups")
    conn = sqlite3.connect(old_library)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert "rating" not in [r[1] for r in conn.execute("PRAGMA table_info(paper)")]
    assert conn.execute("SELECT count(*) FROM paper WHERE title = 'broken'").fetchone() == (0,)
    conn.close()
    assert list((tmp_path / "backups").glob("*.sqlite3.zip"))


def test_a_library_from_a_newer_papershelf_is_refused_untouched(old_library):
    conn = sqlite3.connect(old_library)
    conn.execute("UPDATE alembic_version SET version_num = 'f00d'")
    conn.commit()
    conn.close()
    before = digest(old_library)
    with pytest.raises(LibraryError, match="newer version of Papershelf .*not changed"):
        Library(old_library)
    assert digest(old_library) == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"just some text, not a database", "not a Papershelf library"),
        (b"SQLite format 3\x00" + b"\xff" * 5000, "damaged|cannot open"),
    ],
)
def test_foreign_or_damaged_files_are_refused_untouched(tmp_path, content, message):
    path = tmp_path / "library.sqlite3"
    path.write_bytes(content)
    with pytest.raises(LibraryError, match=message):
        Library(path)
    assert path.read_bytes() == content


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(LibraryError, match="another program"):
        Library(path)
    assert digest(path) == before


def test_a_folder_is_not_a_library(tmp_path):
    with pytest.raises(LibraryError, match="is a folder"):
        Library(tmp_path)


def test_a_released_0001_library_is_stamped_as_papershelfs(old_library):
    with Library(old_library) as lib, lib.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA application_id").scalar() == db.APPLICATION_ID


def test_a_new_library_is_stamped_private_and_reopens(tmp_path):
    path = tmp_path / "new" / "library.sqlite3"
    Library(path).close()
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    conn.close()
    Library(path).close()


def _only_a_view(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIEW v AS SELECT 1")
    conn.close()


def _only_header_fields(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("PRAGMA user_version = 7")
    conn.close()


def _ours_but_empty(path):
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {db.APPLICATION_ID}")
    conn.close()


@pytest.mark.parametrize("make", [lambda p: p.touch(), _only_a_view, _only_header_fields, _ours_but_empty])
def test_an_existing_file_without_a_library_is_not_adopted(tmp_path, make):
    path = tmp_path / "library.sqlite3"
    make(path)
    before = digest(path)
    with pytest.raises(LibraryError, match="not a Papershelf library|empty"):
        Library(path)
    assert digest(path) == before and not Path(str(path) + "-wal").exists()


def test_an_empty_file_is_adopted_when_the_user_says_so(tmp_path):
    path = tmp_path / "library.sqlite3"
    path.touch()
    with Library(path, adopt_empty=True) as lib:
        assert lib.count() == 0


@pytest.mark.parametrize("name", ["x%41.sqlite", "what?mode=ro.sqlite", "hash#1.sqlite", "sp ace%20.sqlite"])
def test_a_library_path_is_taken_literally(tmp_path, name):
    """'x%41' is not 'xA': another program's database there is never opened, let alone changed."""
    decoy = tmp_path / name.replace("%41", "A").replace("%20", " ").split("?")[0].split("#")[0]
    conn = sqlite3.connect(decoy)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    before = digest(decoy)
    with Library(tmp_path / name) as lib:
        assert lib.count() == 0
    assert (tmp_path / name).is_file() and digest(decoy) == before
    assert not Path(str(decoy) + "-wal").exists()
