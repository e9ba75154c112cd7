"""IntakeRecord.body becomes the bytes as received (text could not hold NUL or a foreign charset)."""

from django.db import migrations, models


def text_to_bytes(apps, schema_editor):
    IntakeRecord = apps.get_model("leads", "IntakeRecord")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE leads_intakerecord SET body_raw = convert_to(body, 'UTF8') WHERE body <> ''"
        )
        return
    for pk, body in IntakeRecord.objects.exclude(body="").values_list("pk", "body").iterator():
        IntakeRecord.objects.filter(pk=pk).update(body_raw=body.encode("utf-8"))


def bytes_to_text(apps, schema_editor):
    IntakeRecord = apps.get_model("leads", "IntakeRecord")
    for pk, raw in IntakeRecord.objects.values_list("pk", "body_raw").iterator():
        IntakeRecord.objects.filter(pk=pk).update(
            body=bytes(raw).decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_alter_intakerecord_outcome")]

    operations = [
        migrations.AddField(
            model_name="intakerecord",
            name="body_raw",
            field=models.BinaryField(blank=True, default=bytes),
        ),
        migrations.RunPython(text_to_bytes, bytes_to_text, elidable=True),
        migrations.RemoveField(model_name="intakerecord", name="body"),
        migrations.RenameField(model_name="intakerecord", old_name="body_raw", new_name="body"),
    ]
