"""python manage.py run_scenarios PATH... — SpiffArena-format scenario tests."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bpmn.scenarios import find_scenario_files, process_library, run_file


class Command(BaseCommand):
    help = "Run every test_*.json scenario under the given folders; prints 'N passed, N failed'."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        roots = [Path(p) for p in paths]
        files = find_scenario_files(roots)
        library = process_library(roots)
        passed = failed = 0
        for scenario in files:
            for result in run_file(scenario, Path(settings.DMN_DIR), library):
                label = f"{scenario}::{result.case}"
                if result.passed:
                    passed += 1
                    self.stdout.write(f"PASS {label}")
                else:
                    failed += 1
                    self.stdout.write(f"FAIL {label}: {result.message}")
        self.stdout.write(f"{passed} passed, {failed} failed")
        if failed or not files:
            raise CommandError(
                "no scenario files found" if not files else f"{failed} scenario(s) failed",
                returncode=1,
            )
