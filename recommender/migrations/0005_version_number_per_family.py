"""Number model versions within their family (collaborative v1, v2; content v1), not across all families."""

from django.db import migrations, models


def number_existing(apps, schema_editor) -> None:
    ModelVersion = apps.get_model("recommender", "ModelVersion")
    counts: dict[str, int] = {}
    for version in ModelVersion.objects.order_by("id").only("id", "family"):
        counts[version.family] = counts.get(version.family, 0) + 1
        ModelVersion.objects.filter(pk=version.pk).update(number=counts[version.family])


class Migration(migrations.Migration):
    dependencies = [("recommender", "0004_training_forced_at")]

    operations = [
        migrations.AddField(model_name="modelversion", name="number", field=models.PositiveIntegerField(null=True)),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="modelversion",
            name="number",
            field=models.PositiveIntegerField(
                editable=False,
                help_text="The version's number within its family: collaborative v1, v2, ...; content v1, ...",
            ),
        ),
        migrations.AddConstraint(
            model_name="modelversion",
            constraint=models.UniqueConstraint(
                fields=("family", "number"), name="recommender_version_number_per_family"
            ),
        ),
    ]
