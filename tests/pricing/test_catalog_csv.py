"""CSV import/export of the catalogs: all or nothing, row-level reports, encodings, injection."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pricing import catalogs, csvio
from pricing.actions import do_import_catalog
from pricing.models import CustomerTier, Part, Region, ServiceItem, StockLevel, Warehouse
from tests.integrations.support import session_client, token_client, token_for

SERVICES = (
    "code,name,category,unit,base_price,labour_hours,tier_breaks,tax_rate\n"
    "SV-DIAG,Diagnosis,repair,each,80.00,0.5,,0.06\n"
    "SV-INST,安装 Installation,install,each,120.00,1.5,10:100.00;50:90.00,0.13\n"
)


def _lines(report):
    return [(e.line, e.column) for e in report.errors]


@pytest.mark.django_db
def test_a_good_file_imports_every_row_and_reimport_updates():
    report = do_import_catalog("services", SERVICES.encode())
    assert report.ok and (report.rows, report.created, report.updated) == (2, 2, 0)
    inst = ServiceItem.objects.get(code="SV-INST")
    assert inst.base_price == Decimal("120.00") and inst.tax_rate == Decimal("0.13")
    assert inst.tier_breaks == [
        {"min_qty": 10, "unit_price": "100.00"},
        {"min_qty": 50, "unit_price": "90.00"},
    ]
    report = do_import_catalog("services", SERVICES.replace("80.00", "85.00").encode())
    assert (report.created, report.updated) == (0, 2)
    assert ServiceItem.objects.get(code="SV-DIAG").base_price == Decimal("85.00")


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported():
    data = (
        "sku,name,category,unit_cost,unit_price,tax_rate,reorder_level\n"
        "P-1,Compressor,hvac,300.00,450.00,0.13,2\n"  # line 2: good
        "P-2,Fan,hvac,-5,20.00,0.13,1\n"  # line 3: negative cost
        "P-3,Belt,hvac,5.00,9.999,0.13,1\n"  # line 4: 3 decimals
        "P-4,Filter,hvac,5.00,99999999999.00,0.13,1\n"  # line 5: beyond the currency's range
        "P-5,Valve,hvac,5.00,8.00,0.13,1.5\n"  # line 6: fractional reorder level
        'P-6,"=HYPERLINK(""http://x"")",hvac,5.00,8.00,0.13,1\n'  # line 7: formula
        "P-1,Compressor again,hvac,300.00,450.00,0.13,2\n"  # line 8: duplicate
        "P-8,Pump,hvac,abc,8.00,1.5,1\n"  # line 9: not a number, tax rate >= 1
    )
    report = do_import_catalog("parts", data.encode())
    assert not report.ok and report.rows == 8
    assert _lines(report) == [
        (3, "unit_cost"),
        (4, "unit_price"),
        (5, "unit_price"),
        (6, "reorder_level"),
        (7, "name"),
        (8, "sku"),
        (9, "unit_cost"),
        (9, "tax_rate"),
    ]
    messages = [e.message for e in report.errors]
    assert messages[0] == "unit_cost must not be negative"
    assert "more than 2 decimal places" in messages[1]
    assert "beyond the largest amount" in messages[2]
    assert messages[3] == "reorder_level must be a whole number"
    assert "formulas are not accepted" in messages[4]
    assert "duplicate sku 'P-1' (first on line 2)" in messages[5]
    assert not Part.objects.exists()  # the good row was not imported either


@pytest.mark.django_db
def test_gbk_and_utf8_with_bom_are_both_read():
    rows = "code,name,coefficient\nbj,北京,1.20\nsh,上海,1.1500\n"
    assert do_import_catalog("regions", rows.encode("gbk")).ok
    assert Region.objects.get(code="bj").name == "北京"
    tiers = "code,name,discount_rate\nvip,贵宾,0.10\n"
    assert do_import_catalog("tiers", ("\ufeff" + tiers).encode("utf-8")).ok
    assert CustomerTier.objects.get(code="vip").discount_rate == Decimal("0.1000")


@pytest.mark.django_db
def test_stock_rows_need_known_skus_and_whole_non_negative_quantities():
    do_import_catalog("parts", b"sku,name,unit_cost,unit_price\nP-1,Compressor,300,450\n")
    data = b"sku,warehouse,on_hand\nP-1,WH-BJ,10\nP-404,WH-BJ,3\nP-1,WH-SH,-2\nP-1,WH-GZ,2.5\n"
    report = do_import_catalog("stock", data)
    assert _lines(report) == [(3, "sku"), (4, "on_hand"), (5, "on_hand")]
    assert report.errors[0].message == "unknown SKU 'P-404'"
    assert not StockLevel.objects.exists()
    assert do_import_catalog("stock", b"sku,warehouse,on_hand\nP-1,WH-BJ,10\n").ok
    assert StockLevel.objects.get().on_hand == 10


@pytest.mark.django_db
def test_stock_may_name_its_warehouse_for_people():
    do_import_catalog("parts", b"sku,name,unit_cost,unit_price\nP-1,Compressor,300,450\n")
    assert do_import_catalog("stock", b"sku,warehouse,on_hand\nP-1,WH-BJ,10\n").ok
    assert Warehouse.objects.get().name == "WH-BJ"  # no name given: its code
    named = "sku,warehouse,on_hand,warehouse_name\nP-1,WH-BJ,8,北京仓 Beijing\n".encode()
    assert do_import_catalog("stock", named).ok
    assert Warehouse.objects.get().name == "北京仓 Beijing"
    assert do_import_catalog("stock", b"sku,warehouse,on_hand\nP-1,WH-BJ,7\n").ok  # kept
    assert Warehouse.objects.get().name == "北京仓 Beijing"
    exported = catalogs.export_csv(catalogs.KINDS["stock"])
    assert exported.splitlines()[1:] == ["P-1,WH-BJ,7,北京仓 Beijing"]


@pytest.mark.django_db
def test_a_file_missing_columns_is_refused_as_a_whole():
    with pytest.raises(csvio.CsvFileError, match="missing column"):
        do_import_catalog("regions", b"code,name\nbj,Beijing\n")
    with pytest.raises(csvio.CsvFileError, match="unknown column"):
        do_import_catalog("regions", b"code,name,coefficient,colour\nbj,Beijing,1,red\n")


@pytest.mark.django_db
def test_exports_escape_formula_cells_and_round_trip():
    ServiceItem.objects.create(code="SV-1", name="=1+2", base_price=Decimal("10.00"))
    text = catalogs.export_csv(catalogs.KINDS["services"])
    assert "'=1+2" in text
    do_import_catalog("services", SERVICES.encode())
    ServiceItem.objects.filter(code="SV-1").delete()
    exported = catalogs.export_csv(catalogs.KINDS["services"]).encode()
    ServiceItem.objects.all().delete()
    assert do_import_catalog("services", exported).created == 2
    assert ServiceItem.objects.get(code="SV-INST").tier_breaks[1]["unit_price"] == "90.00"


@pytest.mark.django_db
def test_api_import_needs_write_scope_and_answers_400_with_the_report(cast):
    url = "/api/v1/pricing/catalogs/regions/import"
    bad = SimpleUploadedFile("r.csv", b"code,name,coefficient\nbj,Beijing,1.2\nsh,Shanghai,0\n")
    reader = token_client(token_for(cast["dave"], "pricing:read"))
    assert reader.post(url, {"file": bad}).status_code == 403
    writer = token_client(token_for(cast["dave"], "pricing:read", "pricing:write"))
    bad.seek(0)
    response = writer.post(url, {"file": bad})
    assert response.status_code == 400
    body = response.json()
    assert body["report"]["errors"] == [
        {"line": 3, "column": "coefficient", "message": "coefficient must be greater than 0"}
    ]
    assert not Region.objects.exists()
    good = SimpleUploadedFile("r.csv", b"code,name,coefficient\nbj,Beijing,1.2\n")
    assert writer.post(url, {"file": good}).json()["created"] == 1
    assert reader.get("/api/v1/pricing/regions").json() == [
        {"code": "bj", "name": "Beijing", "coefficient": "1.2000"}
    ]
    exported = reader.get("/api/v1/pricing/catalogs/regions/export")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert exported.content.decode("utf-8-sig").splitlines()[1] == "bj,Beijing,1.2000"
    assert reader.get("/api/v1/pricing/catalogs/colours/export").status_code == 404
    do_import_catalog("services", SERVICES.encode())
    do_import_catalog("tiers", b"code,name,discount_rate\nvip,VIP,0.1\n")
    services = reader.get("/api/v1/pricing/services").json()
    assert services[1]["tier_breaks"] == [
        {"min_qty": 10, "unit_price": "100.00"},
        {"min_qty": 50, "unit_price": "90.00"},
    ]
    assert reader.get("/api/v1/pricing/tiers").json()[0]["discount_rate"] == "0.1000"


@pytest.mark.django_db
def test_agents_may_read_but_not_import(cast):
    client = token_client(token_for(cast["alice"], "pricing:read", "pricing:write"))
    upload = SimpleUploadedFile("r.csv", b"code,name,coefficient\nbj,Beijing,1.2\n")
    response = client.post("/api/v1/pricing/catalogs/regions/import", {"file": upload})
    assert response.status_code == 403 and not Region.objects.exists()


@pytest.mark.django_db
def test_the_catalog_page_shows_the_error_report_and_imports_good_files(cast):
    client = session_client(cast["dave"])
    do_import_catalog("services", SERVICES.encode())
    page = client.get("/pricing/")
    html = page.content.decode()
    assert page.status_code == 200 and "<td>Installation</td>" in html and "≥10: ¥100.00" in html
    assert "<td>1.5</td>" in html  # labour hours as written, no trailing zeros
    assert "13%" in html and "True" not in html
    bad = SimpleUploadedFile("t.csv", b"code,name,discount_rate\nvip,VIP,1.5\n")
    page = client.post("/pricing/", {"kind": "tiers", "file": bad})
    html = page.content.decode()
    assert page.status_code == 400 and "Nothing was imported" in html
    assert "discount_rate must be a fraction below 1" in html
    good = SimpleUploadedFile("t.csv", b"code,name,discount_rate\nvip,VIP,0.15\n")
    page = client.post("/pricing/", {"kind": "tiers", "file": good})
    assert page.status_code == 200 and "Imported 1 row: 1 new" in page.content.decode()
    assert "15%" in page.content.decode()
    agent = session_client(cast["alice"])
    assert "Import a CSV" not in agent.get("/pricing/").content.decode()
    assert agent.post("/pricing/", {"kind": "tiers", "file": good}).status_code == 403


@pytest.mark.django_db
def test_a_catalog_folder_imports_every_file_or_none(tmp_path):
    import shutil

    from pricing.actions import do_import_catalog_folder
    from pricing.models import Part, ServiceItem, StockLevel
    from tests.conftest import PROCESSES

    for csv_file in (PROCESSES / "catalog").glob("*.csv"):
        shutil.copy(csv_file, tmp_path / csv_file.name)
    (tmp_path / "stock.csv").write_text("sku,warehouse,on_hand\nBP-FRONT,WH-SH,-1\nNOPE,WH-SH,2\n")
    reports = do_import_catalog_folder(tmp_path)
    assert not reports["stock"].ok and [e.line for e in reports["stock"].errors] == [2, 3]
    assert not ServiceItem.objects.exists() and not Part.objects.exists()
    shutil.copy(PROCESSES / "catalog" / "stock.csv", tmp_path / "stock.csv")
    assert all(r.ok for r in do_import_catalog_folder(tmp_path).values())
    assert StockLevel.objects.get(part__sku="BP-FRONT").on_hand == 6
