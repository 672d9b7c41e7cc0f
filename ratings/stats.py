"""The triggers that keep MovieRatingStats, and a rebuild from the ratings themselves.

PostgreSQL gets statement-level triggers with transition tables: one grouped update per statement, so a
COPY of 25 million ratings or a cascade delete of a person's thousand costs one pass, not a row each.
SQLite has row-level triggers only; the same upsert runs per row. Both apply a delta: what left the table
is subtracted from existing rows (an UPDATE, never creating one, so a cascade that already removed a
movie's row cannot bring it back), what arrived is added with an upsert.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ratings.models import SCORES, MovieRatingStats, Rating, stars_column

RATINGS = Rating._meta.db_table
STATS = MovieRatingStats._meta.db_table
FUNCTION = "ratings_movie_stats_apply"
COUNTS = ["count", "score_sum", *(stars_column(score) for score in SCORES)]


def _aggregates(source: str) -> str:
    """count, sum and one count per score of the ratings in ``source``, grouped by movie (portable SQL)."""
    per_score = ", ".join(f"SUM(CASE WHEN score = {score} THEN 1 ELSE 0 END)" for score in SCORES)
    return f"SELECT movie_id, COUNT(*), SUM(score), {per_score} FROM {source} GROUP BY movie_id"


def _add(source: str) -> str:
    added = ", ".join(f"{column} = {STATS}.{column} + excluded.{column}" for column in COUNTS)
    return (
        f"INSERT INTO {STATS} (movie_id, {', '.join(COUNTS)}) {_aggregates(source)} "
        f"ON CONFLICT (movie_id) DO UPDATE SET {added}"
    )


def _subtract(source: str) -> str:
    names = ", ".join(COUNTS)
    taken = ", ".join(f"{column} = {STATS}.{column} - gone.{column}" for column in COUNTS)
    return (
        f"UPDATE {STATS} SET {taken} FROM ({_aggregates(source)}) AS gone (movie_id, {names}) "
        f"WHERE {STATS}.movie_id = gone.movie_id"
    )


def _row_values(ref: str) -> str:
    per_score = ", ".join(f"CASE WHEN {ref}.score = {score} THEN 1 ELSE 0 END" for score in SCORES)
    return f"{ref}.movie_id, 1, {ref}.score, {per_score}"


def _sqlite_add(ref: str) -> str:
    added = ", ".join(f"{column} = {column} + excluded.{column}" for column in COUNTS)
    # "WHERE true" keeps SQLite's parser from reading ON CONFLICT as the SELECT's join clause.
    return (
        f"INSERT INTO {STATS} (movie_id, {', '.join(COUNTS)}) SELECT {_row_values(ref)} WHERE true "
        f"ON CONFLICT (movie_id) DO UPDATE SET {added};"
    )


def _sqlite_subtract(ref: str) -> str:
    per_score = ", ".join(
        f"{stars_column(score)} = {stars_column(score)} - (CASE WHEN {ref}.score = {score} THEN 1 ELSE 0 END)"
        for score in SCORES
    )
    return (
        f"UPDATE {STATS} SET count = count - 1, score_sum = score_sum - {ref}.score, {per_score} "
        f"WHERE movie_id = {ref}.movie_id;"
    )


def trigger_sql(vendor: str) -> list[str]:
    """The statements that create the triggers on ``vendor`` (postgresql or sqlite)."""
    if vendor == "postgresql":
        function = (
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_subtract('gone_rows')}; END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add('new_rows')}; END IF; "
            "RETURN NULL; END $$"
        )
        transitions = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "OLD TABLE AS gone_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS gone_rows",
        }
        return [function] + [
            f"CREATE TRIGGER {STATS}_{event.lower()} AFTER {event} ON {RATINGS} "
            f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            for event, refs in transitions.items()
        ]
    if vendor == "sqlite":
        bodies = {
            "INSERT": _sqlite_add("NEW"),
            "UPDATE OF score, movie_id": _sqlite_subtract("OLD") + " " + _sqlite_add("NEW"),
            "DELETE": _sqlite_subtract("OLD"),
        }
        return [
            f"CREATE TRIGGER {STATS}_{event.split()[0].lower()} AFTER {event} ON {RATINGS} "
            f"FOR EACH ROW BEGIN {body} END"
            for event, body in bodies.items()
        ]
    raise NotImplementedError(f"MovieRatingStats has no triggers for {vendor}")


def drop_sql(vendor: str) -> list[str]:
    events = ("insert", "update", "delete")
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {STATS}_{event} ON {RATINGS}" for event in events] + [
            f"DROP FUNCTION IF EXISTS {FUNCTION}()"
        ]
    return [f"DROP TRIGGER IF EXISTS {STATS}_{event}" for event in events]


def triggers_install(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        for statement in drop_sql(db.vendor) + trigger_sql(db.vendor):
            cursor.execute(statement)


def triggers_remove(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        for statement in drop_sql(db.vendor):
            cursor.execute(statement)


def movie_stats_rebuild(db: BaseDatabaseWrapper = connection) -> int:
    """Recompute every movie's row from the ratings (a repair; the triggers keep them in step). Returns rows."""
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATS}")
        cursor.execute(f"INSERT INTO {STATS} (movie_id, {', '.join(COUNTS)}) {_aggregates(RATINGS)}")
        return cursor.rowcount
