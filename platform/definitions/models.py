"""Immutable deployed bundles: process versions and decision versions."""

from django.conf import settings
from django.db import models


class ProcessVersion(models.Model):
    """One deployed BPMN bundle. Never edited after creation; tickets pin it."""

    key = models.CharField(max_length=200, help_text="Executable process id in the BPMN.")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64)
    bpmn_filename = models.CharField(max_length=300)
    # Called processes resolved at deploy time: {"process_key": process_version_id}.
    called_versions = models.JSONField(default=dict)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="process_version_unique"),
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    # The bundle's text lives in its own row (ProcessBundle) so that tickets, worklists and
    # timelines joining their version never carry ~10 KB of BPMN and the bundle JSON. It is
    # read when a spec is compiled (once per version per process) or a form is loaded.
    @property
    def bpmn_xml(self) -> str:
        return self.bundle.bpmn_xml

    @property
    def files(self) -> dict:
        return self.bundle.files


class ProcessBundle(models.Model):
    """The text of a ProcessVersion: its BPMN and every other file of the bundle."""

    version = models.OneToOneField(
        ProcessVersion, on_delete=models.CASCADE, primary_key=True, related_name="bundle"
    )
    bpmn_xml = models.TextField()
    # Every other file of the bundle: {"pricing.dmn": "<xml>", "forms/x.schema.json": "{...}"}.
    files = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"bundle of {self.version_id}"


class DecisionVersion(models.Model):
    """One version of a DMN decision table: draft, then published (one at a time per decision)."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        RETIRED = "retired"

    decision_id = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    dmn_filename = models.CharField(max_length=300, blank=True)
    dmn_xml = models.TextField()
    content_hash = models.CharField(max_length=64)
    # Example rows a publish must pass: [{"input": {...}, "expected": ...}, ...]
    test_cases = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["decision_id", "version"], name="decision_version_unique"
            ),
            models.UniqueConstraint(
                fields=["decision_id"],
                condition=models.Q(status="published"),
                name="decision_one_published",
            ),
        ]
        ordering = ["decision_id", "-version"]

    def __str__(self) -> str:
        return f"{self.decision_id} v{self.version} ({self.status})"


class DecisionEvent(models.Model):
    """A publish or roll-back of a decision version: who made which version the live one, when."""

    class Kind(models.TextChoices):
        PUBLISHED = "published"
        ROLLED_BACK = "rolled_back"

    version = models.ForeignKey(DecisionVersion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    replaced = models.PositiveIntegerField(null=True, blank=True)  # the version live before

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} {self.kind}"


class ReferenceVersion(models.Model):
    """One row whose token changes whenever reference data changes: a decision published
    or rolled back, a process deployed, a group, member, profile or calendar edited. Caches
    of that data (definitions.refdata) are valid while the token is unchanged. A random
    token rather than a counter: a rolled-back transaction restores an older token, whose
    cached data is that of the same older state."""

    token = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"reference data {self.token}"


class DataStoreEntry(models.Model):
    """One entry of a SpiffArena data store (bpmn/datastores.py): JSON and JSON file stores
    keep their whole value in the entry with empty keys; key-key-value stores one entry per
    (top_key, second_key). `scope` is the process group the store belongs to."""

    kind = models.CharField(max_length=12)  # json, kkv, json_file
    scope = models.CharField(max_length=200, blank=True)
    store = models.CharField(max_length=200)
    top_key = models.CharField(max_length=255, blank=True)
    second_key = models.CharField(max_length=255, blank=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope", "store", "top_key", "second_key"],
                name="data_store_entry_unique",
            )
        ]

    def __str__(self):
        return f"{self.kind}:{self.scope}/{self.store}[{self.top_key}][{self.second_key}]"


class ProcessDraft(models.Model):
    """A bundle being edited in the browser: saved as often as its author likes, checked
    with the deploy's own parser on every save, published as a new ProcessVersion."""

    key = models.CharField(max_length=200, blank=True)  # the executable process id, once known
    bpmn_filename = models.CharField(max_length=300)
    bpmn_xml = models.TextField()
    # The other files of the bundle (DMN, forms, field rules, test_<key>.json scenarios).
    files = models.JSONField(default=dict)
    base_version = models.ForeignKey(
        ProcessVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the last save found: [{"element_id": "...", "message": "..."}]; empty when valid.
    problems = models.JSONField(default=list)
    published_version = models.ForeignKey(
        ProcessVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"draft {self.id} of {self.key or self.bpmn_filename}"
