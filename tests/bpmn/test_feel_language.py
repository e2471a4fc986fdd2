"""FEEL beyond decision-table cells (DMN 1.5 chapter 10): lists, contexts, loops, functions,
types, temporal values and the built-in library. FEEL text is never run as Python."""

import datetime as dt
from decimal import Decimal

import pytest

from bpmn.feel import evaluate
from bpmn.feel_values import YearsMonths, feel_string

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Python would answer these differently without complaint.
        ("items[1]", D(10)),  # FEEL lists start at 1
        ("items[-1]", D(30)),
        ("items[0]", None),
        ('all([1, "x"])', None),  # not booleans: null, not Python's truthiness
        ('any([false, "x"])', None),
        ("items[item > 15]", [D(20), D(30)]),
        ("people[age >= 18].name", ["Wang Fang"]),
        ("count(items)", D(3)),
        ("10 / 3", D("3.333333333333333333333333333333333")),  # 34 digits
        ("1 + null", None),
        ('"a" + 1', None),
        ("1 = true", None),
    ],
)
def test_feel_is_not_python(text, expected):
    context = {
        "items": [10, 20, 30],
        "people": [{"name": "Wang Fang", "age": 34}, {"name": "Xiao Ming", "age": 9}],
    }
    assert evaluate(text, context) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for x in [1, 2, 3] return x * x", [D(1), D(4), D(9)]),
        ("for i in 1..3, j in [10, 20] return i + j", [D(11), D(21), D(12), D(22), D(13), D(23)]),
        ("for i in 0..3 return if i = 0 then 1 else i * partial[-1]", [D(1), D(1), D(2), D(6)]),
        ("some x in [1, 5] satisfies x > 4", True),
        ("every x in [1, 5] satisfies x > 4", False),
        ("{a: 2, b: a * 3}.b", D(6)),
        ('{"due date": 3}.due date', D(3)),
        ("(function(a, b) a - b)(b: 1, a: 5)", D(4)),
        ("{square: function(n) n * n, r: square(4)}.r", D(16)),
        ('if 5 in [1..10) then "in" else "out"', "in"),
        ("5 between 1 and 10", True),
        ("7 in (< 5, > 6)", True),
        ("[1, 2] instance of list<number>", True),
        ('{a: "x"} instance of context<a: string>', True),
        ('substring(string: "flowdesk", start position: 5)', "desk"),
        ('string join(["a", null, "b"], "-")', "a-b"),
        ("sort([3, 1, 2], function(x, y) x > y)", [D(3), D(2), D(1)]),
        ('get value({a: 1}, "a")', D(1)),
        ('context put({a: 1}, "b", 2)', {"a": D(1), "b": D(2)}),
        ("distinct values([1, 2, 1])", [D(1), D(2)]),
        ("sublist([1, 2, 3, 4], -2)", [D(3), D(4)]),
        ("index of([1, 2, 1], 1)", [D(1), D(3)]),
        ("round half up(2.5, 0)", D(3)),
        ("modulo(-12, 5)", D(3)),
        ("stddev([2, 4, 7, 5])", D("2.081665999466132735282297706979931")),
        ('replace("0123456789", "(\\d{3})(\\d{3})(\\d{4})", "($1) $2-$3")', "(012) 345-6789"),
        ('range("[1..10)").end included', False),
        # XPath regular expressions, not Python's
        ('matches("Mary\\u000DJones", "Mary.Jones")', False),  # `.` never matches \r
        ('matches("hello world", "hello\\ sworld", "x")', True),  # x drops all white space
        ('matches("X", "[A-Z-[OI]]", "i")', True),  # class subtraction
        ('matches("abcd", "(asd)[\\1]")', None),  # no back-reference inside a class
    ],
)
def test_language_and_library(text, expected):
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)),
        ('@"2026-03-01" - @"2026-02-01"', dt.timedelta(days=28)),
        ('years and months duration(@"2024-01-15", @"2026-03-14")', YearsMonths(25)),
        ('@"P1Y" + @"P3M"', YearsMonths(15)),
        ('@"PT1H" * 2.5', dt.timedelta(hours=2, minutes=30)),
        ('@"P1D" > @"PT23H"', True),
        ('@"2026-05-01T10:00:00" < @"2026-05-01T11:00:00"', True),
        ('@"10:00:00+08:00" = @"02:00:00Z"', True),
        ('@"2026-05-01T10:00:00@Asia/Shanghai".timezone', "Asia/Shanghai"),
        ('day of week(date("2026-11-30"))', "Monday"),
        ('week of year(date("2026-01-01"))', D(1)),
        ('date("-0044-03-15").year', D(-44)),  # FEEL years reach beyond Python's 1..9999
        ('date("2026-13-01")', None),
    ],
)
def test_temporal_values(text, expected):
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('string(@"P1Y2M")', "P1Y2M"),
        ('string(@"-P1DT2H")', "-P1DT2H"),
        ('string(@"2026-05-01T10:00:00@Europe/Paris")', "2026-05-01T10:00:00@Europe/Paris"),
        ('string(@"12:30:00.5-02:00")', "12:30:00.5-02:00"),
        ('string(@"-2021-01-01T10:10:10+11:00" + @"P1D")', "-2021-01-02T10:10:10+11:00"),
        ("string({a: [1, 2.5]})", "{a: [1, 2.5]}"),
    ],
)
def test_values_as_feel_text(text, expected):
    assert feel_string(evaluate(text)) == expected


def test_unknown_functions_and_java_are_errors_not_python():
    from bpmn.feel import FeelError

    with pytest.raises(FeelError, match="unknown function 'len'"):
        evaluate("len(items)", {"items": [1]})
    with pytest.raises(FeelError, match="external functions"):
        evaluate('function(x) external {java: {class: "java.lang.Math"}}')
