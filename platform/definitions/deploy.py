"""Deploying bundles as immutable ProcessVersions, and the parsed-spec cache per version."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max

from bpmn.parser import BundleError
from bpmn.specs import CompiledProcess, SpecCache, compile_bundle, content_hash
from definitions import decisions, refdata
from definitions.models import ProcessBundle, ProcessVersion

SPEC_CACHE = SpecCache()
BUNDLE_SUFFIXES = (".dmn", ".json", ".bpmn")


def _called_processes(exclude: str) -> dict[str, tuple[str, str, int]]:
    """Latest deployed version of every other process, for call activities."""
    latest = {}
    versions = ProcessVersion.objects.exclude(key=exclude).select_related("bundle")
    for pv in versions.order_by("key", "-version"):
        latest.setdefault(pv.key, (pv.bpmn_filename, pv.bpmn_xml, pv.id))
    return latest


def _compile(bpmn_filename, bpmn_text, files, called, key=None) -> CompiledProcess:
    return compile_bundle(
        bpmn_filename,
        bpmn_text,
        files,
        called={k: (f, x) for k, (f, x, _id) in called.items()},
        resolve_decision=decisions.resolve,
        decision_exists=partial(decisions.exists, {}),
        process_key=key,
    )


@dataclass
class DeployResult:
    version: ProcessVersion
    created: bool
    warnings: list[str] = field(default_factory=list)  # extensions deployed but not applied


def deploy_bundle(
    bpmn_filename: str, bpmn_text: str, files: Mapping[str, str], user=None
) -> tuple[ProcessVersion, bool]:
    """Validate and store a bundle. Returns (version, created); identical content to the
    latest version of the process is a no-op. Raises BundleError with nothing stored."""
    result = deploy_bundle_report(bpmn_filename, bpmn_text, files, user)
    return result.version, result.created


def deploy_bundle_report(
    bpmn_filename: str, bpmn_text: str, files: Mapping[str, str], user=None
) -> DeployResult:
    """deploy_bundle, also returning the warnings: Camunda listeners and other extensions
    the platform does not apply, each naming its element."""
    files = dict(files)
    called = _called_processes(exclude="")
    with transaction.atomic():
        # Decisions of the bundle become published decision versions (new content only),
        # so that the business rule tasks resolve them like any other published table.
        for name, text in sorted(files.items()):
            if name.endswith(".dmn"):
                try:
                    decisions.do_create_decision_versions(name, text, user, publish=True)
                except (ValueError, LookupError) as exc:
                    raise BundleError(str(exc)) from exc
        compiled = _compile(bpmn_filename, bpmn_text, files, called)
        digest = content_hash(bpmn_filename, bpmn_text, files)
        latest = ProcessVersion.objects.filter(key=compiled.key).order_by("-version").first()
        if latest is not None and latest.content_hash == digest:
            return DeployResult(latest, False, compiled.warnings)
        number = (
            ProcessVersion.objects.filter(key=compiled.key).aggregate(n=Max("version"))["n"] or 0
        ) + 1
        used = _called_keys(compiled, called)
        try:
            with transaction.atomic():
                version = ProcessVersion.objects.create(
                    key=compiled.key,
                    version=number,
                    name=compiled.name,
                    content_hash=digest,
                    bpmn_filename=bpmn_filename,
                    called_versions={k: called[k][2] for k in used},
                    published_by=user,
                )
                version.bundle = ProcessBundle.objects.create(
                    version=version,
                    bpmn_xml=bpmn_text,
                    files={**files, **compiled.generated_files},
                )
                refdata.bump()  # the latest version of the process changed
        except IntegrityError as exc:
            raise BundleError(
                f"{compiled.key}: a concurrent deploy took version {number}; retry"
            ) from exc
    return DeployResult(version, True, compiled.warnings)


def _called_keys(compiled: CompiledProcess, called) -> list[str]:
    return sorted(k for k in compiled.subprocess_specs if k in called)


def latest_version(process_key: str) -> ProcessVersion | None:
    """The newest deployed version of a process (cached until the next deploy)."""
    return refdata.cached(
        ("process_version", process_key),
        lambda: ProcessVersion.objects.filter(key=process_key).order_by("-version").first(),
    )


def compiled_for(version: ProcessVersion) -> CompiledProcess:
    """Parsed spec of a version (parsed once per process, then cached). The bundle text is
    read only here, on a cache miss."""

    def build():
        called_ids = list(version.called_versions.values())
        called = {
            pv.key: (pv.bpmn_filename, pv.bpmn_xml, pv.id)
            for pv in ProcessVersion.objects.filter(id__in=called_ids).select_related("bundle")
        }
        return _compile(
            version.bpmn_filename, version.bpmn_xml, version.files, called, key=version.key
        )

    return SPEC_CACHE.get((version.id, version.content_hash), build)


def read_bundle_folder(bpmn_path: Path) -> tuple[str, str, dict[str, str]]:
    """A BPMN file plus the DMN and form files it references, from the folders beside it:
    the BPMN's folder, its `forms/` sub-folder and the project's `dmn/` folder."""
    from django.conf import settings

    text = bpmn_path.read_text(encoding="utf-8")
    candidates: dict[str, Path] = {}
    for folder in (Path(settings.DMN_DIR), bpmn_path.parent / "forms", bpmn_path.parent):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if (
                    path.is_file()
                    and path.suffix in (".dmn", ".json")
                    and not path.name.startswith("test_")
                ):
                    candidates[path.name] = path
    files = {name: path.read_text(encoding="utf-8") for name, path in candidates.items()}
    return bpmn_path.name, text, _referenced_only(bpmn_path.name, text, files)


def _referenced_only(bpmn_filename: str, text: str, files: dict[str, str]) -> dict[str, str]:
    """Keep the DMN files whose decisions the BPMN names and the form files it names, so
    that unrelated files do not change this bundle's content hash."""
    from bpmn.specs import decision_ids
    from bpmn.xmlsafe import parse_xml

    root = parse_xml(text, bpmn_filename)
    decisions_used = {
        node.text.strip()
        for node in root.iter()
        if _local(node) == "calledDecisionId" and node.text
    }
    decisions_used |= set(root.xpath("//@*[local-name()='decisionRef']"))
    forms_used = set(root.xpath("//@*[local-name()='formKey']"))
    forms_used |= {
        node.get("value")
        for node in root.iter()
        if _local(node) == "property" and (node.get("name") or "").startswith("form")
    }
    forms_used |= {_ui_sibling(name) for name in forms_used}
    forms_used.add(f"{Path(bpmn_filename).stem}.fields.json")  # the template's field rules
    result = {}
    for name, body in files.items():
        if name.endswith(".dmn"):
            if decisions_used and decision_ids(name, body) & decisions_used:
                result[name] = body
        elif name in forms_used:
            result[name] = body
    return result


def _ui_sibling(schema_name: str) -> str:
    for suffix, ui in ((".schema.json", ".uischema.json"), ("-schema.json", "-uischema.json")):
        if schema_name.endswith(suffix):
            return schema_name[: -len(suffix)] + ui
    return schema_name


def _local(node) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def deploy_order(bpmn_paths: list[Path]) -> list[Path]:
    """The files in an order where every process is deployed after the processes its call
    activities call (when they are among the files); otherwise the given order."""
    from bpmn.xmlsafe import UnsafeXmlError, parse_xml

    provides: dict[Path, set[str]] = {}
    needs: dict[Path, set[str]] = {}
    for path in bpmn_paths:
        try:
            root = parse_xml(path.read_bytes(), path.name)
        except (OSError, UnsafeXmlError, ValueError):
            provides[path], needs[path] = set(), set()  # its deploy reports the problem
            continue
        provides[path] = set(root.xpath("//*[local-name()='process']/@id"))
        needs[path] = set(root.xpath("//*[local-name()='callActivity']/@calledElement"))
    owner = {pid: path for path, ids in provides.items() for pid in ids}
    ordered: list[Path] = []
    visiting: set[Path] = set()

    def visit(path: Path) -> None:
        if path in ordered or path in visiting:  # done, or a cycle: keep the given order
            return
        visiting.add(path)
        for called in sorted(needs[path]):
            if called in owner and owner[called] != path:
                visit(owner[called])
        visiting.discard(path)
        ordered.append(path)

    for path in bpmn_paths:
        visit(path)
    return ordered
