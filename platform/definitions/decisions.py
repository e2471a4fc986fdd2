"""Decision versions: publish, roll back, and resolve the published table at evaluation time."""

import hashlib
from functools import lru_cache

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bpmn import messages
from definitions import refdata
from definitions.models import DecisionEvent, DecisionVersion


class DecisionPublishError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compiled(version_id: int, content_hash: str, decision_id: str):
    from bpmn.dmn import parse_dmn

    version = DecisionVersion.objects.get(id=version_id)
    return parse_dmn(version.dmn_xml, version.dmn_filename or f"{decision_id}.dmn").get(decision_id)


def compiled_decision(version: DecisionVersion):
    return _compiled(version.id, version.content_hash, version.decision_id)


def published(decision_id: str) -> DecisionVersion | None:
    """The published version (cached until a publish or rollback changes it)."""
    return refdata.cached(
        ("published_decision", decision_id),
        lambda: (
            DecisionVersion.objects.filter(
                decision_id=decision_id, status=DecisionVersion.Status.PUBLISHED
            )
            .only("id", "version", "content_hash", "decision_id")
            .first()
        ),
    )


def resolve(bundle_decisions: dict, decision_id: str):
    """The decision a business rule task evaluates: the published version, else the bundle's."""
    version = published(decision_id)
    if version is not None:
        return compiled_decision(version), f"v{version.version}"
    if decision_id in bundle_decisions:
        return bundle_decisions[decision_id], "bundle"
    failure = LookupError(f"decision {decision_id!r} has no published version")
    raise messages.coded(failure, "decision_unpublished", decision=decision_id)


def exists(bundle_decisions: dict, decision_id: str) -> bool:
    return decision_id in bundle_decisions or published(decision_id) is not None


def content_hash(xml: str) -> str:
    return hashlib.sha256(xml.encode()).hexdigest()


def do_create_decision_versions(
    filename: str, xml: str, user=None, *, publish: bool, test_cases=None
):
    """Store every decision of a DMN file as a new version (unless identical content is
    already stored); publish it when asked and its test rows pass."""
    from bpmn.dmn import parse_dmn

    definitions = parse_dmn(xml, filename)
    digest = content_hash(xml)
    created = []
    with transaction.atomic():
        for decision_id, decision in definitions.decisions.items():
            same = DecisionVersion.objects.filter(decision_id=decision_id, content_hash=digest)
            if same.exists():
                continue
            number = (
                DecisionVersion.objects.select_for_update()
                .filter(decision_id=decision_id)
                .aggregate(n=Max("version"))["n"]
                or 0
            ) + 1
            version = DecisionVersion.objects.create(
                decision_id=decision_id,
                version=number,
                name=decision.name or decision_id,
                dmn_filename=filename,
                dmn_xml=xml,
                content_hash=digest,
                test_cases=list(test_cases or []),
                author=user,
            )
            if publish:
                do_publish_decision(version, user)
            created.append(version)
    return created


def do_publish_decision(
    version: DecisionVersion, user=None, *, kind=DecisionEvent.Kind.PUBLISHED
) -> DecisionVersion:
    """Run the version's test rows, then make it the one published version."""
    failures = compiled_decision(version).run_tests(version.test_cases or [])
    if failures:
        raise DecisionPublishError(
            f"{version.decision_id} v{version.version}: test rows fail: " + "; ".join(failures)
        )
    with transaction.atomic():
        live = (
            DecisionVersion.objects.select_for_update()
            .filter(decision_id=version.decision_id, status=DecisionVersion.Status.PUBLISHED)
            .exclude(id=version.id)
            .first()
        )
        if live is not None:
            live.status = DecisionVersion.Status.RETIRED
            live.save(update_fields=["status"])
        version.status = DecisionVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        DecisionEvent.objects.create(
            version=version, kind=kind, actor=user, replaced=live.version if live else None
        )
        refdata.bump()
    return version


def do_rollback_decision(decision_id: str, to_version: int, user=None) -> DecisionVersion:
    version = DecisionVersion.objects.get(decision_id=decision_id, version=to_version)
    return do_publish_decision(version, user, kind=DecisionEvent.Kind.ROLLED_BACK)
