"""Every raw SQL statement of feedback, in one place, each with why it is not the ORM.

Only table and column names (from the models' meta, so a rename or a new column follows) are
put into the text; every value is a parameter. One statement:

- `point_insert`: a captured point and its "created" revision in one round trip, PostgreSQL
  only. Every phone in the room sends each point at least once and resends it after a lost
  answer, so the ORM's check-then-insert (a SELECT for the key, BEGIN, two INSERTs, COMMIT) was
  five round trips per point; this is one, and the unique key decides a resend. SQLite takes
  the ORM path in feedback.services.capture (see ARCHITECTURE.md).
"""

import functools

from django.db import connection

from feedback.models import Point, PointRevision


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_fields(model, *, skip: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]


@functools.cache
def _point_insert_sql() -> str:
    points = _insert_fields(Point)
    revisions = _insert_fields(PointRevision, skip=("point_id",))
    # The revision's values are cast: in `INSERT … SELECT` PostgreSQL does not take a parameter's
    # type from the target column as it does in VALUES.
    casts = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in revisions)
    return (
        f"WITH point AS (INSERT INTO {_quoted(Point._meta.db_table)}"  # noqa: S608 (names only)
        f" ({', '.join(_quoted(f.column) for f in points)})"
        f" VALUES ({', '.join('%s' for _ in points)})"
        f" ON CONFLICT ({_quoted(Point._meta.get_field('key').column)}) DO NOTHING"
        f" RETURNING {_quoted(Point._meta.pk.column)})"
        f" INSERT INTO {_quoted(PointRevision._meta.db_table)}"
        f" ({_quoted(PointRevision._meta.get_field('point').column)},"
        f" {', '.join(_quoted(f.column) for f in revisions)})"
        f" SELECT point.{_quoted(Point._meta.pk.column)}, {casts} FROM point"
        f" RETURNING {_quoted(PointRevision._meta.get_field('point').column)}"
    )


def _values(obj, fields) -> list:
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def point_insert(point: Point, revision: PointRevision) -> int | None:
    """Insert `point` and `revision` (of it) unless a point with its key exists; the new point's
    id, or None when the key was taken (a resend). Sets `point.pk` and `revision.point_id`."""
    params = _values(point, _insert_fields(Point)) + _values(
        revision, _insert_fields(PointRevision, skip=("point_id",))
    )
    with connection.cursor() as cursor:
        cursor.execute(_point_insert_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    point.pk = revision.point_id = row[0]
    point._state.adding = False
    point._state.db = connection.alias
    return row[0]
