"""Bulk upserts for the importer.

PostgreSQL: rows stream through ``COPY`` into a temporary staging table, then one
``INSERT ... SELECT ... ON CONFLICT`` moves them in. COPY is an order of magnitude
faster than multi-row INSERTs, and the conflict clause makes a re-import an update.
Elsewhere (SQLite): ``bulk_create`` with ``update_conflicts`` in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

#: Rows turned into model instances at a time on the bulk_create path; bounds memory, paces progress.
BATCH_SIZE = 5_000


def rows_upsert(
    *,
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[object]],
    unique_fields: Sequence[str],
    update_fields: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table; a row whose ``unique_fields``
    already exist updates ``update_fields`` instead (or is skipped when there are none).

    Fields may be named by attname (``movie_id``) so rows can carry plain ids. The caller guarantees that
    no two rows share their unique fields: PostgreSQL refuses to update one row twice in a statement.
    ``auto_now`` / ``auto_now_add`` columns get the current time, as ``save()`` would give them.
    """
    meta = model._meta
    resolved = [meta.get_field(name) for name in fields]
    unique = [meta.get_field(name) for name in unique_fields]
    update = [meta.get_field(name) for name in update_fields]
    progress = progress or (lambda count: None)
    if connection.vendor == "postgresql":
        _copy_upsert(model, resolved, rows, unique, update, progress)
    else:
        _bulk_create_upsert(model, resolved, rows, unique, update, progress)


def _batches(rows: Iterable[Sequence[object]], size: int) -> Iterator[list[Sequence[object]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _bulk_create_upsert(
    model: type[Model],
    fields: list[Field],
    rows: Iterable[Sequence[object]],
    unique: list[Field],
    update: list[Field],
    progress: Callable[[int], None],
) -> None:
    attnames = [field.attname for field in fields]
    if update:
        auto_now = [field.name for field in model._meta.concrete_fields if getattr(field, "auto_now", False)]
        options: dict[str, object] = {
            "update_conflicts": True,
            "unique_fields": [field.name for field in unique],
            "update_fields": [*(field.name for field in update), *auto_now],
        }
    else:
        options = {"ignore_conflicts": True}
    for batch in _batches(rows, BATCH_SIZE):
        model._default_manager.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in batch], **options)
        progress(len(batch))


def _copy_upsert(
    model: type[Model],
    fields: list[Field],
    rows: Iterable[Sequence[object]],
    unique: list[Field],
    update: list[Field],
    progress: Callable[[int], None],
) -> None:
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    stage = quote(f"import_stage_{meta.db_table}")
    given = {field.column for field in fields}
    columns = ", ".join(quote(field.column) for field in fields)

    # Columns the rows do not carry get what Django would have stored: the time for auto_now(_add), else the
    # field's default (auth_user's first_name has no database default, for one).
    now = timezone.now()
    constants: list[tuple[Field, object]] = []
    for field in meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        constants.append((field, field.get_db_prep_save(now if auto else field.get_default(), connection)))

    insert_columns = ", ".join([columns, *(quote(field.column) for field, _ in constants)])
    # Explicit casts: an untyped literal in a SELECT list is text to PostgreSQL, which a boolean column refuses.
    select_list = ", ".join([columns, *(f"%s::{field.cast_db_type(connection)}" for field, _ in constants)])
    conflict = ", ".join(quote(field.column) for field in unique)
    if update:
        refreshed = [*update, *(field for field, _ in constants if getattr(field, "auto_now", False))]
        action = "DO UPDATE SET " + ", ".join(
            f"{quote(field.column)} = EXCLUDED.{quote(field.column)}" for field in refreshed
        )
        # Rows that would not change are left alone, so their auto_now timestamp keeps meaning "last changed".
        action += " WHERE ({}) IS DISTINCT FROM ({})".format(
            ", ".join(f"{table}.{quote(field.column)}" for field in update),
            ", ".join(f"EXCLUDED.{quote(field.column)}" for field in update),
        )
    else:
        action = "DO NOTHING"

    with connection.cursor() as cursor:
        # The staging table is dropped by hand rather than ON COMMIT DROP: inside an outer transaction (tests,
        # or a caller's atomic block) a second import would otherwise find it still there.
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for batch in _batches(rows, BATCH_SIZE):
                for row in batch:
                    copy.write_row(row)
                progress(len(batch))
        cursor.execute(
            f"INSERT INTO {table} ({insert_columns}) SELECT {select_list} FROM {stage} "
            f"ON CONFLICT ({conflict}) {action}",
            [value for _, value in constants],
        )
        cursor.execute(f"DROP TABLE {stage}")
