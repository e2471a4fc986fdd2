"""The 23-dimension settlement pricing decision: rows picked per case, published versions."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from definitions.decisions import do_create_decision_versions
from pricing import rules
from pricing.actions import do_settle
from tests.integrations.support import post, token_client, token_for
from tests.pricing.support import catalog

SHIPPED = (Path(settings.DMN_DIR) / rules.FILENAME).read_text(encoding="utf-8")


def picked(**data):
    decision, _ = rules.shipped()
    return [
        (a.component, a.rate, a.amount) for a in rules.adjustments(decision, rules.dimensions(data))
    ]


def test_the_table_reads_at_least_twenty_dimensions():
    decision, version = rules.shipped()
    assert len(rules.DIMENSIONS) >= 20 and version.startswith("file:")
    assert decision.hit_policy.startswith("COLLECT")
    assert picked() == []  # a plain job: no adjustment


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"urgency": "emergency", "weekend_or_holiday": True},
            [
                ("Emergency service (紧急服务)", Decimal("0.60"), 0),
                ("Weekend / holiday surcharge (周末/节假日附加费)", Decimal("0.25"), 0),
            ],
        ),
        ({"distance_km": 20}, []),  # (20..50] starts above 20
        ({"distance_km": "20.5"}, [("Travel 20-50 km (路程 20–50 公里)", 0, 30)]),
        ({"distance_km": 50}, [("Travel 20-50 km (路程 20–50 公里)", 0, 30)]),
        ({"distance_km": 51}, [("Travel over 50 km (路程超过 50 公里)", 0, 80)]),
        ({"floor": 7, "lift": False}, [("Upper floor without lift (高楼层无电梯)", 0, 25)]),
        ({"floor": 7, "lift": True}, []),
        (
            {"customer_tier": "gold", "service_type": "maintenance"},
            [("Gold tier maintenance (金卡会员保养)", Decimal("-0.10"), 0)],
        ),
        ({"customer_tier": "gold", "service_type": "repair"}, []),
        (
            {"season": "peak", "service_type": "air_conditioning", "brand": "Daikin"},
            [
                ("Premium brand (高端品牌)", Decimal("0.10"), 0),
                ("Peak season air conditioning (空调旺季)", Decimal("0.10"), 0),
            ],
        ),
        (
            {"sla_level": "premium", "vip": True, "repeat_visit": True, "device_age_years": 9},
            [
                ("Premium contract (高级合同)", Decimal("-0.15"), 0),
                ("Repeat visit for the same fault (同一故障再次上门)", Decimal("-0.50"), 0),
                ("Device older than 8 years (设备使用超过 8 年)", Decimal("0.10"), 0),
                ("VIP courtesy (VIP 礼遇)", Decimal("-0.05"), 0),
            ],
        ),
        (
            {
                "channel": "h5",
                "coupon": "NEW50",
                "payment_method": "monthly_account",
                "region": "remote",
            },
            [
                ("Coupon NEW50 (优惠券 NEW50)", 0, -50),
                ("Online booking (在线预约)", 0, -10),
                ("Monthly account (月结客户)", Decimal("0.02"), 0),
                ("Remote region (偏远地区)", 0, 50),
            ],
        ),
        (
            {
                "warranty_status": "extended",
                "parts_category": "battery",
                "installments": 3,
                "labour_hours": 5,
                "quantity": 10,
                "service_type": "installation",
                "after_hours": True,
            },
            [
                ("After-hours surcharge (非工作时间附加费)", Decimal("0.20"), 0),
                ("Extended warranty cover (延保承担)", Decimal("-0.50"), 0),
                ("Volume installation (批量安装)", Decimal("-0.05"), 0),
                ("Long job (长工时作业)", Decimal("-0.05"), 0),
                ("Instalment handling (分期手续费)", 0, 15),
                ("Hazardous parts handling (危险品备件处理)", 0, 40),
            ],
        ),
    ],
)
def test_each_case_picks_its_rows(data, expected):
    assert picked(**data) == expected


@pytest.mark.django_db
def test_a_published_version_prices_new_settlements_and_is_recorded(cast):
    catalog()
    request = {
        "services": [{"code": "SV-DIAG", "quantity": 1}],
        "urgency": "urgent",
        "payment_method": "cash",
    }
    shipped = do_settle("SV-10", request)
    assert shipped.total == Decimal("110.24")  # (80 + 24) x 1.06
    dearer = SHIPPED.replace(
        '<text>"Urgent service (加急服务)"</text></outputEntry>\n        <outputEntry id="sp_r1_o2"><text>0.30</text>',
        '<text>"Urgent service (加急服务)"</text></outputEntry>\n        <outputEntry id="sp_r1_o2"><text>0.50</text>',
    )
    assert dearer != SHIPPED
    (version,) = do_create_decision_versions(rules.FILENAME, dearer, cast["dave"], publish=True)
    newer = do_settle("SV-11", request)
    assert newer.decision_version == f"v{version.version}" and newer.total == Decimal("127.20")
    # each settlement's adjustments reproduce from the version it recorded
    for settlement in (shipped, newer):
        decision = rules.at_version(settlement.decision_version)
        again = rules.adjustments(decision, rules.dimensions(settlement.dimensions))
        assert [a.as_dict() for a in again] == settlement.adjustments


@pytest.mark.django_db
def test_settlement_api(cast):
    catalog()
    finance = token_client(token_for(cast["carol"], "pricing:read", "pricing:write"))
    url = "/api/v1/pricing/settlements/SV-2026-000042"
    body = {
        "services": [{"code": "SV-INST", "quantity": 10}],
        "payment_method": "card",
        "region": "bj",
        "milestones": [{"percent": 50}, {"percent": 50}],
        "first_due": "2027-01-31",
    }
    response = finance.put(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    # 1150.00 (13%: 149.50), volume -57.50 and long job (15 h) -57.50 (6%: -3.45 each)
    assert data["total"] == "1177.60" and data["decision_version"].startswith("file:")
    assert [(d["amount"], d["due_date"]) for d in data["schedule"]] == [
        ("588.80", "2027-01-31"),
        ("588.80", "2027-02-28"),
    ]
    assert finance.get(url).json()["lines"][0]["unit_price"] == "115.00"
    bad = finance.put(
        url,
        {**body, "services": [{"code": "SV-INST", "quantity": 0}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "between 1 and" in bad.json()["detail"]
    confirmed = post(finance, "/api/v1/pricing/settlements/SV-2026-000042/confirm", {})
    assert confirmed.json()["status"] == "confirmed"
    assert post(finance, f"{url}/confirm", {}).status_code == 409
    assert finance.put(url, body, content_type="application/json").status_code == 409
    assert finance.get("/api/v1/pricing/settlements/SV-404").status_code == 404
    odd = finance.put(
        "/api/v1/pricing/settlements/SV-9",
        {**body, "dimensions": {"colour": "red"}},
        content_type="application/json",
    )
    assert odd.status_code == 400 and "unknown pricing dimension(s): colour" in odd.json()["detail"]
    urgent = finance.put(
        "/api/v1/pricing/settlements/SV-9",
        {**body, "dimensions": {"urgency": "urgent"}},
        content_type="application/json",
    )
    assert urgent.json()["dimensions"]["urgency"] == "urgent"
    agent = token_client(token_for(cast["alice"], "pricing:read", name="agent"))
    assert agent.get(url).status_code == 403
