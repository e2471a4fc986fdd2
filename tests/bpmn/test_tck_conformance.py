"""Every test of the DMN TCK (levels 2 and 3) against the checked-in list of known failures.

A test that fails but is not listed in tck_known_failures.txt is a regression; a listed test
that now passes must be taken off the list, so the list only ever shrinks. Run with `-s` to
see the pass counts per level (or `python tests/bpmn/tck.py`).
"""

from pathlib import Path

import pytest

from tests.bpmn.tck import TCK, known_failures, report, run_all

KNOWN = Path(__file__).with_name("tck_known_failures.txt")


@pytest.fixture(scope="module")
def outcomes():
    if not TCK.is_dir():
        pytest.skip("the TCK corpus is not checked out next to the project")
    return run_all()


def test_the_whole_suite_is_there(outcomes):
    levels = {o.level for o in outcomes}
    assert levels == {"compliance-level-2", "compliance-level-3"}
    assert len(outcomes) > 2800
    assert len({o.test_id for o in outcomes}) == len(outcomes)


def test_results_match_the_known_failures(outcomes):
    print("\n" + report(outcomes))
    known = known_failures(KNOWN)
    new_failures = [
        f"{o.test_id}: {o.detail}" for o in outcomes if not o.passed and o.test_id not in known
    ]
    fixed = [o.test_id for o in outcomes if o.passed and o.test_id in known]
    stale = set(known) - {o.test_id for o in outcomes}
    assert not new_failures, "new TCK failures:\n" + "\n".join(new_failures[:50])
    assert not fixed, "these pass now; take them off tck_known_failures.txt:\n" + "\n".join(fixed)
    assert not stale, "not TCK tests: " + ", ".join(sorted(stale))
