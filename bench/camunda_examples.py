"""How many Camunda Modeler files deploy and start: `python bench/camunda_examples.py DIR`.

DIR holds BPMN files (e.g. a checkout of camunda/camunda-bpm-examples); each is compiled as
a bundle with the DMN files beside it. With `--register-missing` every operator a deploy
error asks for is registered (as an integrator would) and the file is tried again; each
compiled process is then started in memory with empty data. Prints a JSON report: counts,
and the first refusal of each file that does not deploy.
"""

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdesk.settings")


def _compile(path: Path, register_missing: bool):
    from bpmn import services
    from bpmn.parser import BundleError
    from bpmn.specs import compile_bundle

    files = {p.name: p.read_text(encoding="utf-8") for p in path.parent.glob("*.dmn")}
    for _ in range(10):
        try:
            return compile_bundle(path.name, path.read_text(encoding="utf-8"), files), None
        except BundleError as exc:
            wanted = re.findall(r"register one named '([^']+)'", str(exc))
            if not (register_missing and wanted):
                return None, str(exc)
            for name in wanted:
                services.register(name)(lambda params, call: {})
    return None, "too many operators asked for"


def main(folder: str, register_missing: bool) -> dict:
    import django

    django.setup()
    from bpmn import runtime

    report = {"files": 0, "deployed": 0, "started": 0, "incidents": 0, "unhandled": 0}
    refused = {}
    for path in sorted(Path(folder).rglob("*.bpmn")):
        report["files"] += 1
        compiled, error = _compile(path, register_missing)
        if compiled is None:
            refused[str(path.relative_to(folder))] = error[:300]
            continue
        report["deployed"] += 1
        try:
            _workflow, result = runtime.start(compiled, {})
        except Exception:  # what the platform would show as a 500: there must be none
            report["unhandled"] += 1
            continue
        report["incidents" if result.incident else "started"] += 1
    report["refused"] = refused
    return report


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    print(json.dumps(main(args[0], "--register-missing" in sys.argv), indent=2))
