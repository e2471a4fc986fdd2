"""python manage.py deploy processes/ [more folders or .bpmn files]

Files are deployed called processes first (whatever their names), and every warning of a
deploy (extensions such as Camunda listeners that are not applied) is printed under it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bpmn.parser import BundleError
from definitions.deploy import deploy_bundle_report, deploy_order, read_bundle_folder


class Command(BaseCommand):
    help = "Deploy every BPMN bundle in the given folders (or the given .bpmn files)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        bpmn_files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                bpmn_files += sorted(path.glob("*.bpmn"))
            elif path.suffix == ".bpmn" and path.is_file():
                bpmn_files.append(path)
            else:
                raise CommandError(f"{raw}: not a folder or a .bpmn file")
        failures = 0
        for bpmn_path in deploy_order(bpmn_files):
            try:
                name, text, files = read_bundle_folder(bpmn_path)
                result = deploy_bundle_report(name, text, files)
            except (BundleError, ValueError) as exc:
                failures += 1
                self.stderr.write(f"FAILED {bpmn_path}: {exc}")
                continue
            version = result.version
            state = "deployed" if result.created else "unchanged"
            self.stdout.write(
                f"{state} {version.key} v{version.version} ({bpmn_path.name}, {len(files)} files)"
            )
            for warning in result.warnings:
                self.stdout.write(f"  warning: {warning}")
        if failures:
            raise CommandError(f"{failures} bundle(s) failed to deploy", returncode=2)
