"""Forms fixtures: the repair ticket form (fixtures/), SpiffArena's example forms (the
shared corpus) and the platform's sandboxed evaluator for default expressions."""

from pathlib import Path

import pytest

from forms.schema import load_form

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SPIFF_EXAMPLES = (
    HERE.parents[2] / "shared" / "corpus" / "spiff-examples" / "examples" / "1-basic-concepts"
)


def bundle_from(folder: Path, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}{p.name}": p.read_text(encoding="utf-8") for p in folder.glob("*.json")}


@pytest.fixture
def repair_files() -> dict[str, str]:
    """The repair form as it sits in a deployed bundle (under forms/)."""
    return bundle_from(FIXTURES, "forms/")


@pytest.fixture
def repair_form(repair_files):
    return load_form(
        repair_files, "forms/repair.schema.json", rules_name="forms/repair.fields.json"
    )


@pytest.fixture
def spiff_files() -> dict[str, str]:
    if not SPIFF_EXAMPLES.is_dir():
        pytest.skip("the shared SpiffArena examples are not on this machine")
    return {
        **bundle_from(SPIFF_EXAMPLES / "1-2-forms"),
        **bundle_from(SPIFF_EXAMPLES / "1-3-scripts"),
    }


@pytest.fixture
def ticket_data() -> dict:
    """A repair ticket after settlement: Wang Fang's broken washing machine."""
    return {
        "customer_name": "王芳",
        "phone": "13812341234",
        "email": "wangfang@example.com",
        "address": ["广东", "深圳", "南山"],
        "street": "科技园路 8 号",
        "fault_category": "leak",
        "description": "洗衣机底部漏水，已经两天了",
        "photos": [
            {"name": "leak.jpg", "size": 20480, "content_type": "image/jpeg", "sha256": "a" * 64}
        ],
        "urgent": True,
        "visit_date": "2026-03-02",
        "engineer": "tom",
        "parts": ["P-300"],
        "internal_note": "客户很着急，上门前先电话确认",
        "amount": "1280.00",
        "payment_method": "wechat",
        "rating": 4,
        "customer_tier": "VIP",
    }
