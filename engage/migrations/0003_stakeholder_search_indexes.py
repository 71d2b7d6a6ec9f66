"""Search indexes for the staff stakeholder list at 100,000 people (PostgreSQL only).

Django's icontains is `UPPER(col::text) LIKE UPPER('%word%')`, so the trigram indexes are on
UPPER(...) to match it. That includes the email index: a trigram index on the bare
`email_normalised` column also answers `=`, and the planner then picks it for the importer's
`email_normalised = ANY(...)` lookups, which takes seconds instead of milliseconds.
SQLite has no trigram indexes: there the name-order index alone serves the list.
"""

from django.db import migrations

INDEXES = [
    ("stakeholder_first_name_trgm", "engage_stakeholder", "UPPER(first_name::text) gin_trgm_ops"),
    ("stakeholder_last_name_trgm", "engage_stakeholder", "UPPER(last_name::text) gin_trgm_ops"),
    ("stakeholder_email_trgm", "engage_stakeholder", "UPPER(email_normalised::text) gin_trgm_ops"),
    ("organisation_name_trgm", "engage_organisation", "UPPER(name::text) gin_trgm_ops"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")
    # Membership lookups by organisation (search by organisation, filter by organisation type).
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS membership_organisation_stakeholder "
        "ON engage_membership (organisation_id, stakeholder_id)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP INDEX IF EXISTS membership_organisation_stakeholder")


class Migration(migrations.Migration):
    dependencies = [("engage", "0002_worker_heartbeat")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
