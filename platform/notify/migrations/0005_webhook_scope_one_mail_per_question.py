from django.db import migrations, models

OLD_PUBLIC_REPLY = {"author_kind": "staff", "visibility": "public"}


def one_mail_per_question(apps, schema_editor):
    """The public-reply rule as seeded mailed the question of "request information" a
    second time (waiting-for-you mails it): unchanged rules leave that message out."""
    from notify.default_rules import PUBLIC_REPLY_CONDITIONS

    rule = apps.get_model("notify", "NotificationRule")
    rule.objects.filter(key="public-reply", conditions=OLD_PUBLIC_REPLY).update(
        conditions=PUBLIC_REPLY_CONDITIONS
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0004_fanout_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="scope",
            field=models.CharField(
                choices=[
                    ("customer", "Customer-facing"),
                    ("staff", "Staff (internal notes, the creator's view)"),
                ],
                default="customer",
                max_length=10,
            ),
        ),
        migrations.RunPython(one_mail_per_question, migrations.RunPython.noop),
    ]
