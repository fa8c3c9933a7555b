"""dictionary search: FTS5 on SQLite, a full-text GIN index on PostgreSQL

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("CREATE INDEX ix_items_search ON items USING gin (to_tsvector('simple', search_text))")
    elif dialect == 'sqlite':
        # An external-content FTS5 table kept in step with items by triggers.
        op.execute("CREATE VIRTUAL TABLE items_fts USING fts5(search_text, content='items', content_rowid='id')")
        op.execute("""
            CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
              INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text);
            END""")
        op.execute("""
            CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
              INSERT INTO items_fts(items_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            END""")
        op.execute("""
            CREATE TRIGGER items_fts_update AFTER UPDATE OF search_text ON items BEGIN
              INSERT INTO items_fts(items_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
              INSERT INTO items_fts(rowid, search_text) VALUES (new.id, new.search_text);
            END""")
        op.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_items_search")
    elif dialect == 'sqlite':
        for trigger in ("items_fts_insert", "items_fts_delete", "items_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS items_fts")
