from django.db import migrations


def seed(apps, schema_editor):
    from notify.default_rules import seed_rules

    seed_rules(
        apps.get_model("notify", "NotificationRule"), apps.get_model("notify", "RuleTemplate")
    )


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_rules_templates_mail_ids")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
