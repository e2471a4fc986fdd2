"""Daily rollups of the ticket metrics: one row per local day x dimension x key.

A day is rolled up once it is over (`analytics.actions.do_rollup`); `RolledDay` marks the
days whose rows are complete, so the dashboard reads rollups for those and computes the
others (today, or days no sweep has reached yet) live from the event log."""

from django.db import models

# The additive counters of a row; every metric on the dashboard is a ratio of these.
COUNTERS = (
    "created",
    "resolved",
    "reopened",
    "responses",
    "response_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "sla_tasks",
    "sla_breached_tasks",
    "warnings_1",
    "warnings_2",
    "warnings_3",
    "breaches",
    "ratings",
    "rating_sum",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
    "tasks_done",
    "task_seconds",
)
FLOAT_COUNTERS = {
    "response_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "task_seconds",
}


class DailyMetric(models.Model):
    class Dimension(models.TextChoices):
        ALL = "all"
        AGENT = "agent"
        GROUP = "group"
        TEMPLATE = "template"
        CHANNEL = "channel"
        TIER = "tier"
        NODE = "node"  # key: "<template>/<bpmn id>"

    day = models.DateField()
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    key = models.CharField(max_length=400)
    created = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    response_seconds = models.FloatField(default=0)
    resolution_seconds = models.FloatField(default=0)
    resolution_business_seconds = models.FloatField(default=0)
    sla_tasks = models.PositiveIntegerField(default=0)
    sla_breached_tasks = models.PositiveIntegerField(default=0)
    warnings_1 = models.PositiveIntegerField(default=0)
    warnings_2 = models.PositiveIntegerField(default=0)
    warnings_3 = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_1 = models.PositiveIntegerField(default=0)
    rating_2 = models.PositiveIntegerField(default=0)
    rating_3 = models.PositiveIntegerField(default=0)
    rating_4 = models.PositiveIntegerField(default=0)
    rating_5 = models.PositiveIntegerField(default=0)
    tasks_done = models.PositiveIntegerField(default=0)
    task_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="daily_metric_unique")
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="daily_metric_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}"


class RolledDay(models.Model):
    """A local day with DailyMetric rows: complete (`until` empty), or, for today, the
    history up to `until` (the dashboard adds the minutes since, computed live)."""

    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField(auto_now=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.day)
