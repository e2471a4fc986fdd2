# A per-token request rate (integrations.ratelimit.api_rate_per_min).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="rate_per_min",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
