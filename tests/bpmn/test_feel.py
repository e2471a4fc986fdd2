"""The FEEL subset: expressions (input expressions, output entries) and unary tests (cells)."""

import datetime as dt
from decimal import Decimal

import pytest

from bpmn.feel import FeelError, compile_expression, compile_unary_tests, evaluate, matches
from bpmn.feel_values import normalize, to_json

# ---------------------------------------------------------------- literals and arithmetic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", Decimal("42")),
        ("0.1 + 0.2", Decimal("0.3")),  # decimal, not float
        (".5", Decimal("0.5")),
        ("1 + 2 * 3", Decimal("7")),
        ("(1 + 2) * 3", Decimal("9")),
        ("10 / 4", Decimal("2.5")),
        ("2 ** 10", Decimal("1024")),
        ("-3 - -2", Decimal("-1")),
        ("1 / 0", None),  # FEEL null, not an exception
        ('"a\\"b\\n" + "\\u00e9"', 'a"b\né'),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 2, 3]", [Decimal(1), Decimal(2), Decimal(3)]),
        ("[]", []),
        ('1 + "a"', None),
    ],
)
def test_literals_and_arithmetic(text, expected):
    assert evaluate(text) == expected
    assert type(evaluate(text)) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 < 5", True),
        ("3 >= 5", False),
        ("3 = 3.0", True),
        ('"a" != "b"', True),
        ("1 = true", None),  # numbers and booleans never equal
        ('1 < "2"', None),  # different kinds do not compare
        ("null = null", True),
        ("true and null", None),
        ("false and null", False),
        ("true or null", True),
        ("false or false", False),
        ("5 between 1 and 5", True),
        ("3 in [1..5]", True),
        ('"b" in ("a", "b")', True),
        ("7 in < 5", False),
        ('if 2 > 1 then "yes" else "no"', "yes"),
        ('if null then "yes" else "no"', "no"),
    ],
)
def test_comparisons_and_logic(text, expected):
    assert evaluate(text) == expected
    assert type(evaluate(text)) is type(expected)


def test_names_paths_and_context():
    ctx = {
        "Applicant Age": 30,
        "order": {"customer": {"tier": "gold"}, "lines": [{"qty": 2}, {"qty": 3}]},
        "limit": 2.5,
    }
    assert evaluate("Applicant Age + 1", ctx) == Decimal(31)
    assert evaluate("order.customer.tier", ctx) == "gold"
    assert evaluate("order.lines.qty", ctx) == [Decimal(2), Decimal(3)]
    assert evaluate("limit * 2", ctx) == Decimal("5.0")
    assert evaluate("missing", ctx) is None
    assert evaluate("order.missing.deeper", ctx) is None
    assert evaluate("-limit", ctx) == Decimal("-2.5")


def test_name_with_spaces_from_known_names_wins_over_keywords():
    compiled = compile_expression("Is Gold and Active", ["Is Gold and Active"])
    assert compiled.fn({"Is Gold and Active": True}, None) is True
    assert compiled.names == {"Is Gold and Active"}


def test_temporal_functions_and_arithmetic():
    assert evaluate('date("2026-01-01")') == dt.date(2026, 1, 1)
    assert evaluate("date(2026, 2, 28)") == dt.date(2026, 2, 28)
    assert evaluate('date and time("2026-01-01T10:00:00")') == dt.datetime(2026, 1, 1, 10)
    assert evaluate('date and time("2026-01-01T10:00:00Z")').tzinfo == dt.UTC
    assert evaluate('time("10:30:00")') == dt.time(10, 30)
    assert evaluate('duration("P1DT2H")') == dt.timedelta(days=1, hours=2)
    assert evaluate('duration("-PT15M")') == dt.timedelta(minutes=-15)
    assert evaluate('date("2026-01-31") + duration("P1D")') == dt.date(2026, 2, 1)
    assert evaluate('date("2026-03-01") - date("2026-02-01")') == dt.timedelta(days=28)
    assert evaluate('time("23:30:00") + duration("PT45M")') == dt.time(0, 15)
    assert evaluate('@"2026-05-04".month') == Decimal(5)
    assert evaluate('duration("PT4H") * 2') == dt.timedelta(hours=8)
    assert evaluate('date("2026-01-01") < date("2026-01-02")') is True


def test_other_builtins():
    assert evaluate('string length("工单")') == Decimal(2)
    assert evaluate('upper case("abc")') == "ABC"
    assert evaluate('contains("urgent repair", "urgent")') is True
    assert evaluate('starts with("VIP-1", "VIP")') is True
    assert evaluate('substring("flowdesk", 5)') == "desk"
    assert evaluate("sum([1, 2.5])") == Decimal("3.5")
    assert evaluate("min(3, 1, 2)") == Decimal(1)
    assert evaluate("count([1, 2])") == Decimal(2)
    assert evaluate("decimal(2.345, 2)") == Decimal("2.34")  # half even
    assert evaluate("floor(-1.5)") == Decimal(-2)
    assert evaluate("not(true)") is False
    assert evaluate('number("12.50")') == Decimal("12.50")
    assert evaluate("string(1.50)") == "1.50"
    assert evaluate("list contains([1, 2], 2)") is True


@pytest.mark.parametrize(
    "text",
    [
        "len(x)",  # not a FEEL function: the DMN engine tries Python
        "'Large'",  # Python string quotes
        "x == 1",
        "True",
        "x is None",
        "[1..",
        "__import__('os').system('x')",
        "().__class__.__bases__",
        "",
    ],
)
def test_not_feel_raises(text):
    with pytest.raises(FeelError):
        compile_expression(text)


def test_constant_subexpressions_are_folded():
    compiled = compile_expression('date("2026-01-01") + duration("P1D")')
    assert compiled.is_const and compiled.const == dt.date(2026, 1, 2)
    assert not compile_expression("x + 1").is_const


def test_constant_lists_are_fresh_per_evaluation():
    compiled = compile_expression("[1, 2]")
    first = compiled.fn({}, None)
    first.append(3)
    assert compiled.fn({}, None) == [Decimal(1), Decimal(2)]


# ---------------------------------------------------------------- unary tests


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("-", "anything", True),
        ("", None, True),
        ("< 10", 9, True),
        ("< 10", 10, False),
        ("<= 10", 10, True),
        ("> 10", 10.5, True),
        (">= 18", 18, True),
        (">= 18", Decimal("17.99"), False),
        ("< 10", "5", False),  # a string never compares with a number
        ("< 10", None, False),
        ("= 5", 5.0, True),
        ('!= "x"', "y", True),
        ('!= "x"', "x", False),
        ("!= null", None, False),
        ("[1..10]", 1, True),
        ("[1..10]", 10, True),
        ("[1..10)", 10, False),
        ("(1..10]", 1, False),
        ("]1..10[", 1, False),
        ("]1..10[", 5, True),
        ("[1..10[", 10, False),
        ('["a".."c"]', "b", True),
        ('"Medium","Low"', "Low", True),
        ('"Medium","Low"', "High", False),
        ("1, [5..6], > 100", 5.5, True),
        ("1, [5..6], > 100", 7, False),
        ('not("a", "b")', "c", True),
        ('not("a", "b")', "a", False),
        ("not(< 10)", 12, True),
        ("null", None, True),
        ("null", 0, False),
        ("true", True, True),
        ("true", 1, False),
        ("1", True, False),
        ("5", 5, True),
        ("-5", -5, True),
        ("< -5", -6, True),
        ('"Gold"', "Gold", True),
        ('"Gold"', "gold", False),
        ("[1, 2, 3]", 2, True),  # a list cell: membership
        ("? > 5 and ? < 10", 7, True),
        ("? > 5 and ? < 10", 11, False),
        ('>= date("2026-01-01")', dt.date(2026, 2, 1), True),
        ('>= date("2026-01-01")', dt.date(2025, 12, 31), False),
        ('[date("2026-01-01")..date("2026-01-31")]', dt.date(2026, 1, 15), True),
        ('< duration("PT4H")', dt.timedelta(hours=3), True),
    ],
)
def test_unary_tests(cell, value, expected):
    assert matches(cell, value) is expected


def test_cells_read_other_names_from_the_context():
    ctx = {"limit": 100, "Preferred Tier": "gold", "allowed": ["a", "b"]}
    assert matches("< limit", 99, ctx) is True
    assert matches("< limit", 100, ctx) is False
    assert matches("[limit..limit + 10]", 105, ctx) is True
    assert matches("Preferred Tier", "gold", ctx) is True
    assert matches("allowed", "b", ctx) is True  # a list-valued expression: membership


def test_boolean_expression_over_the_input_is_a_condition():
    test = compile_unary_tests("Age > 18 and Age < 65", ["Age"], input_names=["Age"])
    assert test(Decimal(30), {"Age": 30}) is True
    assert test(Decimal(70), {"Age": 70}) is False


def test_dash_compiles_to_no_test():
    assert compile_unary_tests("-") is None
    assert compile_unary_tests("  ") is None


@pytest.mark.parametrize("cell", ["in [1, 2]", "== 5", "'a'", "> 5 and < 10", "len(x)"])
def test_python_cells_are_not_feel(cell):
    with pytest.raises(FeelError):
        compile_unary_tests(cell)


# ---------------------------------------------------------------- values


def test_normalize_makes_numbers_decimal_but_keeps_booleans():
    assert normalize(0.1) == Decimal("0.1")
    assert normalize(3) == Decimal(3) and type(normalize(3)) is Decimal
    assert normalize(True) is True
    assert normalize((1, 2.5)) == [Decimal(1), Decimal("2.5")]
    assert normalize(float("nan")) is None


def test_to_json_writes_decimals_exactly():
    assert to_json(Decimal("64.32")) == "64.32"
    assert to_json(Decimal("14.00")) == "14"
    assert to_json(Decimal("1E+3")) == "1000"
    assert to_json(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert to_json({"d": dt.date(2026, 1, 2), "t": dt.timedelta(hours=4, minutes=30)}) == (
        '{"d": "2026-01-02", "t": "PT4H30M"}'
    )
    assert to_json([True, None, "工单"]) == '[true, null, "工单"]'
