"""admin search: learners by email or name, accent-insensitive, through full-text indexes

Revision ID: 0027_admin_search
Revises: 0026_analytics_indexes
Create Date: 2026-12-07 04:10:00

PostgreSQL: the unaccent extension, an immutable fold function over it and a GIN index on the email's words
and the display name. SQLite: an external-content FTS5 table over users (diacritics removed by the
tokenizer), kept in step by triggers. Content (items) already has its index from 0003.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027_admin_search'
down_revision = '0026_analytics_indexes'
branch_labels = None
depends_on = None

DOCUMENT = ("to_tsvector('simple'::regconfig, puchi_search_fold("
            "replace(replace(email, '@', ' '), '.', ' ') || ' ' || display_name))")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
        op.execute("""
            CREATE OR REPLACE FUNCTION puchi_search_fold(value text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower(value)) $$""")
        op.execute(f"CREATE INDEX ix_users_search ON users USING gin ({DOCUMENT})")
    elif dialect == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE users_fts USING fts5(email, display_name, content='users', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
        op.execute("""
            CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
              INSERT INTO users_fts(rowid, email, display_name) VALUES (new.id, new.email, new.display_name);
            END""")
        op.execute("""
            CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
              INSERT INTO users_fts(users_fts, rowid, email, display_name)
              VALUES ('delete', old.id, old.email, old.display_name);
            END""")
        op.execute("""
            CREATE TRIGGER users_fts_update AFTER UPDATE OF email, display_name ON users BEGIN
              INSERT INTO users_fts(users_fts, rowid, email, display_name)
              VALUES ('delete', old.id, old.email, old.display_name);
              INSERT INTO users_fts(rowid, email, display_name) VALUES (new.id, new.email, new.display_name);
            END""")
        op.execute("INSERT INTO users_fts(users_fts) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_users_search")
        op.execute("DROP FUNCTION IF EXISTS puchi_search_fold(text)")
    elif dialect == 'sqlite':
        for trigger in ("users_fts_insert", "users_fts_delete", "users_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS users_fts")
