"""Dealers' webhook secrets leave plaintext: encrypted (signing secret, page token) or hashed
(Google key, Meta verify token)."""

from django.db import migrations, models


def protect(apps, schema_editor):
    from leadflow.lib import secrets_box

    Dealer = apps.get_model("dealers", "Dealer")
    for dealer in Dealer.objects.all().iterator():
        dealer.signing_secret_encrypted = secrets_box.encrypt(dealer.signing_secret)
        dealer.meta_page_token_encrypted = secrets_box.encrypt(dealer.meta_page_token)
        dealer.google_key_hash = secrets_box.digest(dealer.google_key)
        dealer.meta_verify_token_hash = secrets_box.digest(dealer.meta_verify_token)
        dealer.save(
            update_fields=[
                "signing_secret_encrypted",
                "meta_page_token_encrypted",
                "google_key_hash",
                "meta_verify_token_hash",
            ]
        )


def expose(apps, schema_editor):
    from leadflow.lib import secrets_box

    Dealer = apps.get_model("dealers", "Dealer")
    for dealer in Dealer.objects.all().iterator():
        dealer.signing_secret = secrets_box.decrypt(dealer.signing_secret_encrypted)
        dealer.meta_page_token = secrets_box.decrypt(dealer.meta_page_token_encrypted)
        # Digests cannot be turned back: those two must be entered again.
        dealer.save(update_fields=["signing_secret", "meta_page_token"])


class Migration(migrations.Migration):
    dependencies = [("dealers", "0004_contact_policy")]

    operations = [
        migrations.AddField(
            model_name="dealer",
            name="signing_secret_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="dealer",
            name="google_key_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="dealer",
            name="meta_verify_token_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="dealer",
            name="meta_page_token_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(protect, expose),
        migrations.RemoveField(model_name="dealer", name="signing_secret"),
        migrations.RemoveField(model_name="dealer", name="google_key"),
        migrations.RemoveField(model_name="dealer", name="meta_verify_token"),
        migrations.RemoveField(model_name="dealer", name="meta_page_token"),
    ]
