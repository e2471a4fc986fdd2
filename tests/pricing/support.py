"""A small catalog used by the settlement tests."""

from decimal import Decimal

from pricing.models import CustomerTier, Part, Region, ServiceItem, StockLevel, Warehouse


def catalog():
    ServiceItem.objects.create(
        code="SV-INST",
        name="Installation",
        category="installation",
        base_price=Decimal("120.00"),
        labour_hours=Decimal("1.5"),
        tier_breaks=[
            {"min_qty": 10, "unit_price": "100.00"},
            {"min_qty": 50, "unit_price": "90.00"},
        ],
        tax_rate=Decimal("0.13"),
    )
    ServiceItem.objects.create(
        code="SV-DIAG",
        name="Diagnosis",
        category="repair",
        base_price=Decimal("80.00"),
        labour_hours=Decimal("0.5"),
        tax_rate=Decimal("0.06"),
    )
    Region.objects.create(code="bj", name="Beijing", coefficient=Decimal("1.15"))
    CustomerTier.objects.create(code="gold", name="Gold", discount_rate=Decimal("0.10"))
    part = Part.objects.create(
        sku="P-1",
        name="Refrigerant R32",
        category="refrigerant",
        unit_cost=Decimal("30.00"),
        unit_price=Decimal("45.50"),
        tax_rate=Decimal("0.13"),
    )
    warehouse = Warehouse.objects.create(code="WH-BJ", name="Beijing")
    StockLevel.objects.create(part=part, warehouse=warehouse, on_hand=10)
