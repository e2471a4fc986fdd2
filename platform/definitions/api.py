"""Process deployment endpoints."""

from ninja import File, Router, Schema
from ninja.files import UploadedFile

from bpmn.parser import BundleError
from definitions.deploy import deploy_bundle_report
from definitions.models import ProcessVersion
from integrations.auth import require_scope
from integrations.idempotency import idempotent

router = Router(tags=["processes"])


class ProcessVersionOut(Schema):
    id: int
    key: str
    version: int
    name: str
    content_hash: str
    bpmn_filename: str
    files: list[str]
    published_at: str

    @staticmethod
    def resolve_files(obj):
        return sorted(obj.files)

    @staticmethod
    def resolve_published_at(obj):
        return obj.published_at.isoformat()


class DeployIn(Schema):
    bpmn_filename: str
    bpmn: str
    files: dict[str, str] = {}


class DeployOut(Schema):
    created: bool
    version: ProcessVersionOut
    warnings: list[str] = []  # extensions deployed but not applied, each naming its element


class ErrorOut(Schema):
    detail: str


# The Django permission that lets a user (or a token of theirs) deploy over the API.
DEPLOY_PERMISSION = "definitions.add_processversion"


def _deploy(request, bpmn_filename, bpmn, files):
    if not request.user.has_perm(DEPLOY_PERMISSION):
        return 403, {
            "detail": f"{request.user.username} may not deploy processes "
            f"(needs the permission {DEPLOY_PERMISSION})"
        }
    try:
        result = deploy_bundle_report(bpmn_filename, bpmn, files, request.user)
    except BundleError as exc:
        return 400, {"detail": str(exc)}
    body = {"created": result.created, "version": result.version, "warnings": result.warnings}
    return (201 if result.created else 200), body


@router.post("/processes", response={200: DeployOut, 201: DeployOut, 400: ErrorOut, 403: ErrorOut})
@require_scope("processes:deploy")
@idempotent
def deploy(request, body: DeployIn):
    """Deploy a bundle given as JSON: the BPMN text and the DMN/form files it references."""
    return _deploy(request, body.bpmn_filename, body.bpmn, body.files)


@router.post(
    "/processes/upload", response={200: DeployOut, 201: DeployOut, 400: ErrorOut, 403: ErrorOut}
)
@require_scope("processes:deploy")
def deploy_upload(request, bpmn: File[UploadedFile], files: File[list[UploadedFile]] = None):
    """Deploy a bundle as multipart upload: `bpmn` plus any number of `files`."""
    try:
        texts = {f.name: f.read().decode("utf-8") for f in (files or [])}
        bpmn_text = bpmn.read().decode("utf-8")
    except UnicodeDecodeError:
        return 400, {"detail": "files must be UTF-8 text"}
    if any("\x00" in text for text in (bpmn_text, *texts.values())):
        return 400, {"detail": "files must not contain NUL bytes"}
    return _deploy(request, bpmn.name, bpmn_text, texts)


@router.get("/processes", response=list[ProcessVersionOut])
@require_scope("processes:read")
def list_processes(request):
    """The latest version of every deployed process."""
    latest = {}
    for pv in ProcessVersion.objects.select_related("bundle").order_by("key", "-version"):
        latest.setdefault(pv.key, pv)
    return list(latest.values())


@router.get("/processes/{key}/versions", response=list[ProcessVersionOut])
@require_scope("processes:read")
def list_versions(request, key: str):
    return list(
        ProcessVersion.objects.filter(key=key).select_related("bundle").order_by("-version")
    )
