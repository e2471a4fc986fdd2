"""The application gunicorn serves sets itself up before its first request: the views
are imported and the startup heap is frozen for the garbage collector (a full collection
of it took 60-120 ms inside whichever request triggered it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, sys
import flowdesk.wsgi
print(gc.get_freeze_count(), len(gc.get_objects()), "tickets.worklist_views" in sys.modules)
"""


def test_the_served_application_has_its_views_loaded_and_its_startup_heap_frozen():
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "platform"),
        "DJANGO_SETTINGS_MODULE": "flowdesk.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, tracked, views = int(out[0]), int(out[1]), out[2]
    assert views == "True"
    assert frozen > 50_000 and tracked < 1_000  # what the collector still walks
