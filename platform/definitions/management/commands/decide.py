"""Evaluate one decision (or decision service) of a DMN file from the command line.

    python manage.py decide dmn/pricing.dmn "Service Price" --input '{"tier": "gold"}'
    python manage.py decide model.dmn "Eligibility Service" --service --input '{...}'

prints {"result": ...} as JSON (decimals exact, dates as ISO strings). Any kind of decision
runs (tables, literal expressions, contexts, invocations, BKMs, ...); models imported by the
file are read from the .dmn files next to it. A bad file, unknown decision, a decision that
does not compile, bad input or a failing table (UNIQUE violated, ...) exits with status 2.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bpmn.dmn import DmnError, load_dmn
from bpmn.feel_values import to_json


class Command(BaseCommand):
    help = "Evaluate a DMN decision against JSON input and print the result as JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .dmn file")
        parser.add_argument("decision", help="decision id or name")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--input", default=None, help="input data as a JSON object")
        source.add_argument("--input-file", default=None, help="a file holding the JSON object")
        parser.add_argument(
            "--service", action="store_true", help="the name is a decision service's"
        )

    def handle(self, *args, **options):
        context = _read_input(options["input"], options["input_file"])
        path = Path(options["file"])
        try:
            model = load_dmn(path)
            if options["service"]:
                result = model.invoke_service(options["decision"], context)
            else:
                result = model.evaluate(options["decision"], context)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        except DmnError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(to_json({"result": result}))


def _read_input(text: str | None, filename: str | None) -> dict:
    if filename is not None:
        try:
            text = Path(filename).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {filename}: {exc.strerror}", returncode=2) from exc
    if text is None:
        return {}
    try:
        # Decimal, not float: 0.1 in the input stays exactly 0.1.
        value = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CommandError(f"input is not valid JSON: {exc}", returncode=2) from exc
    if not isinstance(value, dict):
        raise CommandError("input must be a JSON object of names to values", returncode=2)
    return value
