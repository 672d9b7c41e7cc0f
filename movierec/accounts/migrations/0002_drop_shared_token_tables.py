"""Drop the tables of the token apps that DeviceToken replaces.

``rest_framework.authtoken`` kept one never-expiring token per person, in plain text; knox's own migrations would
have made an unused ``knox_authtoken``. Both tables hold a foreign key to the user that Django no longer knows
of, so deleting an account would fail on them. Their tokens stop working either way: people sign in again.
"""

from django.db import migrations

TABLES = ("authtoken_token", "knox_authtoken")


def drop(apps, schema_editor) -> None:
    connection = schema_editor.connection
    existing = set(connection.introspection.table_names())
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    for table in TABLES:
        if table in existing:
            schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(table)}{cascade}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
