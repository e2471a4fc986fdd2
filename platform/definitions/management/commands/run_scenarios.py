"""python manage.py run_scenarios PATH... — SpiffArena-format scenario tests."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bpmn.scenarios import find_scenario_files, run_file


class Command(BaseCommand):
    help = "Run every test_*.json scenario under the given folders; prints 'N passed, N failed'."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, paths, **options):
        files = find_scenario_files([Path(p) for p in paths])
        passed = failed = 0
        for scenario in files:
            for result in run_file(scenario, Path(settings.DMN_DIR)):
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
