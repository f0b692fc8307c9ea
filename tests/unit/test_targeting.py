"""The targeting language (SPEC §3.1, docs/targeting.md): grammar, errors and semantics tables."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest

from lotty.errors import ValidationError
from lotty.targeting import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Comparison,
    Membership,
    Not,
    Or,
    Rule,
    TargetingError,
    compile_rule,
    format_expression,
    parse,
    version_key,
)

# --- grammar -------------------------------------------------------------------------------------

A1, B1, C1 = Comparison("a", "==", 1), Comparison("b", "==", 1), Comparison("c", "==", 1)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a == 1", A1),
        ("a == 1 OR b == 1 AND c == 1", Or((A1, And((B1, C1))))),
        ("a == 1 AND b == 1 OR c == 1", Or((And((A1, B1)), C1))),
        ("(a == 1 OR b == 1) AND c == 1", And((Or((A1, B1)), C1))),
        ("NOT a == 1 AND b == 1", And((Not(A1), B1))),
        ("NOT (a == 1 AND b == 1)", Not(And((A1, B1)))),
        ("NOT NOT a == 1", Not(Not(A1))),
        ("a == 1 AND b == 1 AND c == 1", And((A1, B1, C1))),
        ("a == 1 OR b == 1 OR c == 1", Or((A1, B1, C1))),
        ("((((a == 1))))", A1),
        ("((a == 1) OR ((b == 1) AND (c == 1)))", Or((A1, And((B1, C1))))),
        ("a == 1 and b == 1 Or c == 1", Or((And((A1, B1)), C1))),
        ("not a == 1", Not(A1)),
        ("a in [1, 2]", Membership("a", (1, 2))),
        ("a IN [1]", Membership("a", (1,))),
        ("a NOT IN [1, 2]", Membership("a", (1, 2), negated=True)),
        ("a not in [1]", Membership("a", (1,), negated=True)),
        ("NOT a IN [1]", Not(Membership("a", (1,)))),
        ("a==1", A1),
        ("\n\ta\t==\n1\n", A1),
        ("a IN[1,2]", Membership("a", (1, 2))),
        ("flag == TRUE", Comparison("flag", "==", True)),
        ("flag != False", Comparison("flag", "!=", False)),
        ('device.os == "ios"', Comparison("device.os", "==", "ios")),
        ("_a.b_2.C3 >= 0", Comparison("_a.b_2.C3", ">=", 0)),
        ("andy == 1", Comparison("andy", "==", 1)),  # keywords are whole words
        ("x.not == 1", Comparison("x.not", "==", 1)),  # ... and never a part of a dotted name
    ],
)
def test_parse_builds_the_tree(text: str, tree: Any) -> None:
    rule = parse(text)
    assert rule.expression == tree
    assert rule.text == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x == 0", 0),
        ("x == -1", -1),
        ("x == 2.5", 2.5),
        ("x == -0.25", -0.25),
        ("x == 1e3", 1000.0),
        ("x == 1E-2", 0.01),
        ("x == 12345678901234567890", 12345678901234567890),
        ('x == ""', ""),
        ('x == "RU"', "RU"),
        ('x == "say \\"hi\\""', 'say "hi"'),
        ('x == "back\\\\slash"', "back\\slash"),
        ('x == "a\\nb\\tc\\rd\\/e"', "a\nb\tc\rd/e"),
        ('x == "\\u00e9t\\u00E9"', "été"),
        ('x == "\\ud83d\\ude00"', "\U0001f600"),
        ('x == "Москва"', "Москва"),
        ('x == "2024-01-31"', "2024-01-31"),
        ("x == true", True),
        ("x == false", False),
    ],
)
def test_literals(text: str, value: Any) -> None:
    expression = parse(text).expression
    assert isinstance(expression, Comparison)
    assert expression.value == value
    assert type(expression.value) is type(value)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("", 1, "an attribute name"),
        ("   ", 4, "an attribute name"),
        ("a", 2, "an operator"),
        ("a ==", 5, "a literal"),
        ("== 1", 1, "an attribute name"),
        ("(a == 1", 8, '")"'),
        ("a IN [", 7, "a literal"),
        ("a IN [1,", 9, "a literal"),
        ("a IN [1", 8, '"]"'),
        ("a IN 1", 6, '"["'),
        ("a IN []", 7, "a literal"),
        ("a IN [1,]", 9, "a literal"),
        ("a ~ 1", 3, "an operator"),
        ("a = 1", 3, "an operator"),
        ('a == "abc', 10, 'a closing "'),
        ('a == "abc\\"', 12, 'a closing "'),
        ("a == 1 AND", 11, "an attribute name"),
        ("a == 1 OR", 10, "an attribute name"),
        ("a == 1 b", 8, "end of input"),
        ("a == 1)", 7, "end of input"),
        ("a == 1 AND AND b == 1", 12, "an attribute name"),
        ("NOT", 4, "an attribute name"),
        ("()", 2, "an attribute name"),
        ("a NOT == 1", 7, "IN"),
        ("a NOT", 6, "IN"),
        ("a == b", 6, "a literal"),
        ("a == 'x'", 6, "a literal"),
        ("a == 1.6.0", 6, "a literal"),
        ("a > 2024-01-01", 5, "a literal"),
        ("a == 1e999", 6, "a literal"),
        ("a == -", 6, "a literal"),
        ("a. == 1", 3, 'a name after "."'),
        ("a.1 == 1", 3, 'a name after "."'),
        ('a == "\\q"', 8, "an escape"),
        ('a == "\\u12"', 9, "four hex digits"),
        ('a == "\\ud800"', 13, "four hex digits"),
        ('a == "\\udc00"', 7, "four hex digits"),
        ("a > true", 3, "=="),
        ("a <= FALSE", 3, "=="),
        ("é == 1", 1, "an attribute name"),
        ("a == 1 AND b ~ 2", 14, "an operator"),
        ('a == "x" AND "unterminated', 27, 'a closing "'),
    ],
)
def test_malformed_rules_report_column_and_expectation(text: str, column: int, expected: str) -> None:
    with pytest.raises(TargetingError) as caught:
        parse(text)
    error = caught.value
    assert error.column == column
    assert any(expected in item for item in error.expected), error.expected
    assert str(error).startswith(f"column {column}: expected ")
    assert " but found " in str(error)


def test_error_is_a_validation_error_with_stable_code_and_details() -> None:
    with pytest.raises(ValidationError) as caught:
        parse("country ==")
    error = caught.value
    assert isinstance(error, TargetingError)
    assert error.code == "INVALID_TARGETING"
    assert (
        str(error) == 'column 11: expected a literal (number, "string", true, false) but found end of input'
    )
    assert error.message == str(error)
    assert error.details == {
        "field": "targeting",
        "column": 11,
        "expected": ['a literal (number, "string", true, false)'],
    }


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("country == RU", 'double quotes: "RU"'),
        ("country == 'RU'", "double quotes"),
        ("app_version >= 1.6.0", 'write "1.6.0"'),
        ("signup > 2024-01-01", 'write "2024-01-01"'),
        ("a > true", "booleans support only == and !="),
        ("a = 1", "=="),
        ('a == "x', "opened at column 6"),
    ],
)
def test_errors_carry_a_hint(text: str, hint: str) -> None:
    with pytest.raises(TargetingError, match="expected") as caught:
        parse(text)
    assert hint in str(caught.value)


def test_first_problem_in_reading_order_wins() -> None:
    with pytest.raises(TargetingError) as caught:
        parse('== "unterminated')
    assert caught.value.column == 1


def test_nesting_is_limited_without_recursion_error() -> None:
    parse("(" * MAX_DEPTH + "a == 1" + ")" * MAX_DEPTH)
    parse("NOT " * MAX_DEPTH + "a == 1")
    for text in (
        "(" * (MAX_DEPTH + 1) + "a == 1" + ")" * (MAX_DEPTH + 1),
        "NOT " * 2000 + "a == 1",
        "(" * 8000,
    ):
        with pytest.raises(TargetingError, match="levels of parentheses and NOT"):
            parse(text)


def test_length_is_limited() -> None:
    long_chain = " OR ".join(f"a == {i}" for i in range(600))
    assert len(long_chain) <= MAX_LENGTH
    assert parse(long_chain).matches({"a": 599})
    with pytest.raises(TargetingError, match="at most 8192 characters but found 10006 characters") as caught:
        parse("a == 1 OR " * 1000 + "a == 2")
    assert caught.value.column == MAX_LENGTH + 1


# --- semantics -----------------------------------------------------------------------------------

SEMANTICS = [
    # missing and null: every comparison is false, NOT flips it
    ("x == 1", {}, False),
    ("x != 1", {}, False),
    ("x < 1", {}, False),
    ("x IN [1]", {}, False),
    ("x NOT IN [1]", {}, False),
    ("NOT (x == 1)", {}, True),
    ("NOT x == 1", {}, True),
    ("x == 1", {"x": None}, False),
    ("x != 1", {"x": None}, False),
    ("NOT (x != 1)", {"x": None}, True),
    # numbers, int and float alike
    ("x == 1", {"x": 1}, True),
    ("x == 1", {"x": 1.0}, True),
    ("x == 1.0", {"x": 1}, True),
    ("x != 1", {"x": 2}, True),
    ("x > 1", {"x": 1.5}, True),
    ("x >= 1", {"x": 1}, True),
    ("x < -1", {"x": -2}, True),
    ("x <= 2.5", {"x": 3}, False),
    ("x > 1e3", {"x": 1001}, True),
    ("x == 12345678901234567890", {"x": 12345678901234567890}, True),
    # bool is not a number, nor a number a bool
    ("x == 1", {"x": True}, False),
    ("x == 0", {"x": False}, False),
    ("x != 1", {"x": False}, False),
    ("x > 0", {"x": True}, False),
    ("x == true", {"x": 1}, False),
    ("x IN [1]", {"x": True}, False),
    ("x IN [true]", {"x": 1}, False),
    # booleans: == and != only
    ("x == true", {"x": True}, True),
    ("x == TRUE", {"x": False}, False),
    ("x != true", {"x": False}, True),
    ("x != false", {"x": False}, False),
    # strings: lexicographic by code point, case-sensitive
    ('x == "RU"', {"x": "RU"}, True),
    ('x == "RU"', {"x": "ru"}, False),
    ('x != "RU"', {"x": "KZ"}, True),
    ('x > "a"', {"x": "b"}, True),
    ('x < "a"', {"x": "B"}, True),
    ('x > "abc"', {"x": "abcd"}, True),
    ('x < "b"', {"x": "ab"}, True),
    ('x > "10"', {"x": "9"}, True),  # not versions (no dot): plain strings
    ('x == ""', {"x": ""}, True),
    ('x == "été"', {"x": "été"}, True),
    # versions: both sides must look like versions
    ('v > "1.9.2"', {"v": "1.10.0"}, True),
    ('v < "1.10.0"', {"v": "1.9.2"}, True),
    ('v == "1.2"', {"v": "1.2.0"}, True),
    ('v == "1.2.0.0"', {"v": "1.2"}, True),
    ('v != "1.2"', {"v": "1.2.0"}, False),
    ('v >= "1.6.0"', {"v": "1.6"}, True),
    ('v >= "1.6.0"', {"v": "1.5.99"}, False),
    ('v > "0.9"', {"v": "0.10"}, True),
    ('v == "01.2"', {"v": "1.2"}, True),
    ('v == "v1.2.0"', {"v": "1.2"}, True),
    ('v == "1.0.1"', {"v": "V1.0.1"}, False),  # only a lower-case v prefix
    ('v < "1.0.0"', {"v": "1.0.0-rc.1"}, True),
    ('v > "1.0.0-alpha"', {"v": "1.0.0-alpha.1"}, True),
    ('v > "1.0.0-alpha.1"', {"v": "1.0.0-alpha.beta"}, True),
    ('v > "1.0.0-beta.2"', {"v": "1.0.0-beta.11"}, True),
    ('v > "1.0.0-rc.1"', {"v": "1.0.0-beta.11"}, False),
    ('v == "1.0.0+build.5"', {"v": "1.0.0"}, True),
    ('v > "1.9"', {"v": "1.10-beta"}, True),
    ('v < "1.9.0"', {"v": "1.10.0x"}, True),  # not a version: lexicographic "1.1" < "1.9"
    ('v > "1.9.0"', {"v": "abc"}, True),  # lexicographic
    ('v == "1.2"', {"v": 1.2}, False),  # a number is not a string
    ('v IN ["1.2", "2.0"]', {"v": "2"}, False),  # "2" has no dot: not a version
    ('v IN ["1.2", "2.0"]', {"v": "2.0.0"}, True),
    ('v NOT IN ["1.2", "2.0"]', {"v": "1.2.0"}, False),
    ('v NOT IN ["1.2", "2.0"]', {"v": "1.3"}, True),
    # dates: valid YYYY-MM-DD on both sides compare as dates
    ('d > "2024-01-31"', {"d": "2024-02-01"}, True),
    ('d < "2024-12-31"', {"d": "2023-12-31"}, True),
    ('d == "2024-02-29"', {"d": "2024-02-29"}, True),
    ('d >= "2024-03-01"', {"d": "2024-02-29"}, False),
    ('d IN ["2024-01-01", "2024-01-02"]', {"d": "2024-01-02"}, True),
    ('d > "2024-01-31"', {"d": "2024-1-5"}, True),  # not a date: lexicographic, and "1" > "0"
    ('d > "2024-01-01"', {"d": "2024-01-01T10:00:00Z"}, True),  # an ISO timestamp sorts after its day
    # type mismatches are false for every operator, != included
    ('x == "1"', {"x": 1}, False),
    ('x != "1"', {"x": 1}, False),
    ("x != 1", {"x": "1"}, False),
    ("x > 1", {"x": "2"}, False),
    ('x != "true"', {"x": True}, False),
    ("x != true", {"x": "true"}, False),
    ('x IN ["1"]', {"x": 1}, False),
    ('x NOT IN ["1"]', {"x": 1}, False),
    ('x NOT IN ["1", 2]', {"x": 1}, True),  # of a member's type (number), equal to none
    ("x == 1", {"x": {"nested": 1}}, False),
    # IN / NOT IN
    ('c IN ["RU", "KZ"]', {"c": "KZ"}, True),
    ('c IN ["RU", "KZ"]', {"c": "BY"}, False),
    ('c NOT IN ["RU", "KZ"]', {"c": "BY"}, True),
    ('c NOT IN ["RU", "KZ"]', {"c": "RU"}, False),
    ("n IN [1, 2.5]", {"n": 2.5}, True),
    ("n IN [1, 2.5]", {"n": 1.0}, True),
    ("b IN [true]", {"b": True}, True),
    ("b NOT IN [true]", {"b": False}, True),
    # list-valued attributes: any element for ==, ordering and IN; all of a non-empty list for != and NOT IN
    ('tags == "beta"', {"tags": ["alpha", "beta"]}, True),
    ('tags == "beta"', {"tags": ["alpha"]}, False),
    ('tags == "beta"', {"tags": []}, False),
    ('tags != "beta"', {"tags": ["alpha", "beta"]}, False),
    ('tags != "beta"', {"tags": ["alpha", "gamma"]}, True),
    ('tags != "beta"', {"tags": []}, False),
    ('tags != "beta"', {"tags": ["alpha", None]}, False),  # null element: != is false for it
    ('tags != "beta"', {"tags": ["alpha", 1]}, False),  # mismatched element
    ('tags IN ["beta", "rc"]', {"tags": ["alpha", "rc"]}, True),
    ('tags IN ["beta", "rc"]', {"tags": []}, False),
    ('tags NOT IN ["beta", "rc"]', {"tags": ["alpha", "gamma"]}, True),
    ('tags NOT IN ["beta", "rc"]', {"tags": ["alpha", "rc"]}, False),
    ('tags NOT IN ["beta", "rc"]', {"tags": []}, False),
    ("scores > 10", {"scores": [1, 20]}, True),
    ("scores > 10", {"scores": [1, 2]}, False),
    ('vs >= "1.6.0"', {"vs": ["1.2", "1.10"]}, True),
    ('tags == "beta"', {"tags": ("alpha", "beta")}, True),
    ('NOT (tags == "beta")', {"tags": []}, True),
    # dotted names are flat keys
    ('device.os == "ios"', {"device.os": "ios"}, True),
    ('device.os == "ios"', {"device": {"os": "ios"}}, False),
    # combinations
    ("a == 1 OR b == 1 AND c == 1", {"a": 1}, True),
    ("a == 1 OR b == 1 AND c == 1", {"b": 1}, False),
    ("a == 1 OR b == 1 AND c == 1", {"b": 1, "c": 1}, True),
    ("(a == 1 OR b == 1) AND c == 1", {"a": 1}, False),
    ('country IN ["RU", "KZ"] AND app_version >= "1.6.0"', {"country": "RU", "app_version": "1.7.2"}, True),
    ('country IN ["RU", "KZ"] AND app_version >= "1.6.0"', {"country": "RU", "app_version": "1.5.9"}, False),
    ("a == 1 AND b == 2 AND c == 3", {"a": 1, "b": 2, "c": 3}, True),
    ("a == 1 AND b == 2 AND c == 3", {"a": 1, "b": 2, "c": 4}, False),
    ("a == 1 OR b == 2 OR c == 3", {"c": 3}, True),
    ("a == 1 OR b == 2 OR c == 3", {}, False),
]


@pytest.mark.parametrize(("text", "attributes", "expected"), SEMANTICS)
def test_semantics(text: str, attributes: dict[str, Any], expected: bool) -> None:
    assert parse(text).matches(attributes) is expected


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("1.9.2", "1.10.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0", "1.0.1"),
        ("0.0.9", "0.1"),
    ],
)
def test_version_order(smaller: str, larger: str) -> None:
    small, large = version_key(smaller), version_key(larger)
    assert small is not None and large is not None
    assert small < large


@pytest.mark.parametrize(
    "text", ["1", "1.", ".1", "1..2", "1.2a", "1.2-", "x1.2", "v", "1.2.3-rc..1", " 1.2", "1.2\n"]
)
def test_not_versions(text: str) -> None:
    assert version_key(text) is None


def test_long_digit_strings_are_not_versions() -> None:
    assert version_key("1." + "9" * 5000) is None  # and no ValueError from int()


# --- the Rule object ---------------------------------------------------------------------------


def test_compile_rule_treats_blank_as_no_targeting() -> None:
    assert compile_rule(None) is None
    assert compile_rule("") is None
    assert compile_rule("  \n\t") is None
    rule = compile_rule('country == "RU"')
    assert isinstance(rule, Rule)
    assert rule.matches({"country": "RU"})
    with pytest.raises(TargetingError):
        compile_rule("country ==")


def test_rule_exposes_text_canonical_form_and_attributes() -> None:
    rule = parse('  country in ["RU","KZ"] and NOT (device.os == "ios" or beta == TRUE)')
    assert rule.text == '  country in ["RU","KZ"] and NOT (device.os == "ios" or beta == TRUE)'
    assert str(rule) == 'country IN ["RU", "KZ"] AND NOT (device.os == "ios" OR beta == true)'
    assert rule.attributes == frozenset({"country", "device.os", "beta"})
    assert rule == parse(str(rule))
    assert hash(rule) == hash(parse(str(rule)))
    assert rule != parse('country IN ["RU"]')
    assert repr(rule).startswith("Rule(")


def test_rule_pickles_by_its_text() -> None:
    rule = parse('country IN ["RU", "KZ"]')
    copy = pickle.loads(pickle.dumps(rule))
    assert copy == rule
    assert copy.matches({"country": "KZ"})


@pytest.mark.parametrize(
    "text",
    [
        "a == 1",
        "NOT (a == 1)",
        "NOT NOT (a == 1)",
        "(a == 1 AND b == 1) AND c == 1",
        "a == 1 AND (b == 1 OR c == 1)",
        "(a == 1 OR b == 1) OR c == 1",
        'a NOT IN ["x", 1, 2.5, true]',
        'a == "quote \\" backslash \\\\ newline \\n"',
        "a == 1e+16",
        "a == -0.0",
    ],
)
def test_canonical_text_is_a_fixed_point(text: str) -> None:
    rule = parse(text)
    assert format_expression(rule.expression) == text
    assert parse(str(rule)).expression == rule.expression


def test_documented_error_messages_are_the_real_ones() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "targeting.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| `(.+)` \|$", doc, flags=re.MULTILINE)
    assert len(rows) >= 8
    for text, message in rows:
        with pytest.raises(TargetingError) as caught:
            parse(text)
        if message.startswith("... "):
            assert str(caught.value).endswith(message.removeprefix("... ")), text
        else:
            assert str(caught.value) == message, text
