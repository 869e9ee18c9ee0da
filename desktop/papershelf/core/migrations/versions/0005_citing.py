"""What citing from a reading list needs: live .bib files, key aliases, duplicates, cached entries.

- ``autoexport``: a reading list, tag or saved search bound to a file and a
  format, rewritten after every change that alters its content ("keep
  updated"). The last error writing it is kept for the app and the CLI.
- ``key_alias``: the citation keys of papers merged into another one, so an
  existing ``\\cite{oldkey}`` still resolves (written as biblatex ``ids``).
- ``not_duplicate``: pairs the user said are different papers (smaller id first).
- ``entry_cache``: each paper's encoded entry per export variant, so live
  files and big exports do not encode unchanged papers again. Triggers drop a
  paper's rows in the very statement that changes anything its entry is made
  of (its row's exported columns, abstract, tags and tag names, notes,
  sightings, BibTeX source, key aliases): no write path can forget to.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


#: The paper columns an exported entry is made of (tests/core/test_entry_cache.py checks the list).
_EXPORTED_COLUMNS = (
    "title", "authors", "arxiv_id", "url", "published", "primary_class", "citation_key", "entry_type",
    "extra_fields", "cite_as", "metadata",
)  # fmt: skip
#: The tables of a paper's other parts an entry is made of, by their ``paper_id``.
_EXPORTED_PARTS = ("paper_abstract", "paper_tag", "note", "sighting", "bibtex_source", "key_alias")


def _drop(paper_id: str) -> str:
    return f"DELETE FROM entry_cache WHERE paper_id = {paper_id};"


ENTRY_CACHE_TRIGGERS = [
    # Compared byte for byte (BINARY): a change of case is a change, whatever the column's collation.
    "CREATE TRIGGER entry_cache_paper AFTER UPDATE OF "
    + ", ".join(_EXPORTED_COLUMNS)
    + " ON paper WHEN "
    + " OR ".join(f"OLD.{c} IS NOT NEW.{c} COLLATE BINARY" for c in _EXPORTED_COLUMNS)
    + f" BEGIN {_drop('NEW.id')} END",
    # A renamed tag changes the keywords (and their order) of every paper carrying it.
    "CREATE TRIGGER entry_cache_tag AFTER UPDATE OF name ON tag WHEN OLD.name IS NOT NEW.name COLLATE BINARY"
    " BEGIN DELETE FROM entry_cache WHERE paper_id IN (SELECT paper_id FROM paper_tag WHERE tag_id = NEW.id); END",
]
for _table in _EXPORTED_PARTS:
    ENTRY_CACHE_TRIGGERS += [
        f"CREATE TRIGGER entry_cache_{_table}_insert AFTER INSERT ON {_table} BEGIN {_drop('NEW.paper_id')} END",
        f"CREATE TRIGGER entry_cache_{_table}_delete AFTER DELETE ON {_table} BEGIN {_drop('OLD.paper_id')} END",
        f"CREATE TRIGGER entry_cache_{_table}_update AFTER UPDATE ON {_table}"
        f" BEGIN {_drop('OLD.paper_id')} {_drop('NEW.paper_id')} END",
    ]


def upgrade() -> None:
    op.create_table(
        "autoexport",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("path", sa.Text, nullable=False, unique=True),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("options", sa.JSON, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("written_at", sa.DateTime),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("kind IN ('list', 'tag', 'search')", name="ck_autoexport_kind"),
    )
    op.create_table(
        "key_alias",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_key_alias_paper_id", "key_alias", ["paper_id"])
    op.create_index("ix_key_alias_key_lower", "key_alias", [sa.text("lower(key)")], unique=True)
    op.create_table(
        "not_duplicate",
        sa.Column("paper_a", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_b", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.CheckConstraint("paper_a < paper_b", name="ck_not_duplicate_order"),
    )
    op.create_table(
        "entry_cache",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("variant", sa.String, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("abstract_at", sa.Integer),
        sa.Column("strings", sa.Text),
    )
    for statement in ENTRY_CACHE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for statement in ENTRY_CACHE_TRIGGERS:  # on other tables too: they would outlive entry_cache
        op.execute("DROP TRIGGER IF EXISTS " + statement.split()[2])
    op.drop_table("entry_cache")
    op.drop_table("not_duplicate")
    op.drop_index("ix_key_alias_key_lower", "key_alias")
    op.drop_index("ix_key_alias_paper_id", "key_alias")
    op.drop_table("key_alias")
    op.drop_table("autoexport")
