"""Trigram indexes for title and credit search on PostgreSQL (pg_trgm); nothing on other databases.

Search filters with ``icontains``, which PostgreSQL runs as ``UPPER(column::text) LIKE UPPER('%word%')``.
A GIN index of ``gin_trgm_ops`` over that same expression serves it, so a search among 59,000 titles reads
a few index pages instead of every row. SQLite keeps today's scan. The indexes are plain SQL, outside the
models' state, because they exist on one database only.
"""

from django.db import migrations

#: name -> (table, column, opclass): trigram GIN for the "contains" searches. The admin's exact id matches
#: (``=movielens_id``, ``=imdb_id``: ``iexact``, the same UPPER expression) get B-trees, so the OR the
#: admin builds over its four search fields is a bitmap OR of indexes, never a scan.
INDEXES = {
    "catalog_movie_title_trgm": ("catalog_movie", "title", "gin_trgm_ops"),
    "catalog_movie_sort_title_trgm": ("catalog_movie", "sort_title", "gin_trgm_ops"),
    "catalog_person_name_trgm": ("catalog_person", "name", "gin_trgm_ops"),
    "catalog_movie_imdb_upper": ("catalog_movie", "imdb_id", None),
    "catalog_movie_movielens_upper": ("catalog_movie", "movielens_id", None),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column, opclass) in INDEXES.items():
        method = f"gin ((UPPER({column}::text)) {opclass})" if opclass else f"btree ((UPPER({column}::text)))"
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {method}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_tmdb_enrichment")]

    operations = [migrations.RunPython(create, drop)]
