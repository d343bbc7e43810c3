from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clips", "0004_jobs_and_leases")]

    operations = [
        migrations.AddField(
            model_name="copyedit",
            name="source",
            field=models.CharField(
                choices=[("edit", "edited"), ("stage", "copy stage"), ("regenerate", "regenerated")],
                default="edit",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="copyedit",
            name="applied",
            field=models.BooleanField(
                default=True, help_text="False: a draft kept in history, the caption unchanged"
            ),
        ),
    ]
