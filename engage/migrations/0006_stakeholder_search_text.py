"""One search column for the stakeholder list (names and address), with one trigram index.

A name search used to test first name, last name and address, each with its own trigram index,
OR'd with an organisation subquery; the planner could not combine those indexes with the
subquery and read all 100,000 rows instead. The search now matches one column (an index scan)
and the organisations separately (engage.selectors.stakeholders_search). The index is on
UPPER(...) to match Django's icontains, as in 0003. The first- and last-name trigram indexes
are no longer used and go, so an import maintains one index fewer; the address index stays for
searches with an "@". SQLite keeps the column without an index.
"""

import django.db.models.functions.text
from django.db import migrations, models

OLD_INDEXES = [
    ("stakeholder_first_name_trgm", "UPPER(first_name::text) gin_trgm_ops"),
    ("stakeholder_last_name_trgm", "UPPER(last_name::text) gin_trgm_ops"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS stakeholder_search_text_trgm ON engage_stakeholder "
        "USING gin (UPPER(search_text) gin_trgm_ops)"
    )
    for name, _expression in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in OLD_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON engage_stakeholder USING gin ({expression})"
        )
    schema_editor.execute("DROP INDEX IF EXISTS stakeholder_search_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("engage", "0005_outboundemail_claimed_at")]

    operations = [
        migrations.AddField(
            model_name="stakeholder",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Concat(
                    "first_name",
                    models.Value(" "),
                    "last_name",
                    models.Value(" "),
                    "email_normalised",
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
