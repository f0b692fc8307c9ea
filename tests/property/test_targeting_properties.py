"""Properties of the targeting language: the parser only ever raises TargetingError, the canonical
text round-trips, NOT and De Morgan behave as boolean logic, and the documented equivalences
between operators hold over random attributes."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lotty.targeting import (
    And,
    Comparison,
    Expression,
    Membership,
    Not,
    Or,
    Rule,
    TargetingError,
    format_expression,
    parse,
    version_key,
)
from lotty.targeting.nodes import format_literal

NAMES = ["a", "b", "c", "device.os"]
OPERATORS = ["==", "!=", ">", ">=", "<", "<="]

versions = st.builds(
    lambda prefix, parts, pre: prefix + ".".join(map(str, parts)) + pre,
    st.sampled_from(["", "", "v"]),
    st.lists(st.integers(0, 12), min_size=2, max_size=4),
    st.sampled_from(["", "", "", "-alpha", "-alpha.1", "-beta.2", "-beta.11", "-rc.1"]),
)
dates = st.dates().map(lambda d: d.isoformat())
strings = st.one_of(st.sampled_from(["", "a", "b", "RU", "KZ", "1", "ios"]), versions, dates)
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.0, 1e3]))
literals = st.one_of(numbers, strings, st.booleans())
scalars = st.one_of(st.none(), literals)
values = st.one_of(scalars, st.lists(scalars, max_size=3))
attribute_dicts = st.dictionaries(st.sampled_from(NAMES), values)


@st.composite
def comparisons(draw: st.DrawFn, literal: st.SearchStrategy[Any] = literals) -> Comparison:
    value = draw(literal)
    ops = ["==", "!="] if isinstance(value, bool) else OPERATORS
    return Comparison(draw(st.sampled_from(NAMES)), draw(st.sampled_from(ops)), value)


memberships = st.builds(
    Membership, st.sampled_from(NAMES), st.lists(literals, min_size=1, max_size=4).map(tuple), st.booleans()
)
expressions: st.SearchStrategy[Expression] = st.recursive(
    st.one_of(comparisons(), memberships),
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(And, st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(children, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=10,
)
rules = expressions.map(lambda e: parse(format_expression(e)))

FRAGMENTS = [
    "a", "b.c", "x_1", " ", "\t", "==", "!=", ">", ">=", "<", "<=", "=", "~", "AND", "or", "Not", "in",
    "(", ")", "[", "]", ",", ".", "1", "-2.5", "1e3", "1e999", "1.2.3", "2024-01-01", '"x"', '"', "'",
    "\\", "\\u12", "\\ud800", "true", "FALSE", "é", "-",
]  # fmt: skip


@settings(max_examples=300)
@given(st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)))
def test_parse_raises_only_targeting_errors(text: str) -> None:
    try:
        rule = parse(text)
    except TargetingError as error:
        assert 1 <= error.column <= len(text) + 1
        assert error.expected
        assert "expected" in str(error)
        return
    assert parse(str(rule)) == rule


@given(expressions)
def test_canonical_text_round_trips(expression: Expression) -> None:
    text = format_expression(expression)
    reparsed = parse(text).expression
    assert reparsed == expression
    assert format_expression(reparsed) == text


@given(st.one_of(literals, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()))
def test_literals_round_trip_with_their_type(value: Any) -> None:
    expression = parse(f"x == {format_literal(value)}").expression
    assert isinstance(expression, Comparison)
    assert expression.value == value
    assert type(expression.value) is type(value)


@given(rules, attribute_dicts)
def test_not_is_boolean_negation(rule: Rule, attributes: dict[str, Any]) -> None:
    assert parse(f"NOT ({rule})").matches(attributes) is (not rule.matches(attributes))


@given(rules, rules, attribute_dicts)
def test_de_morgan(left: Rule, right: Rule, attributes: dict[str, Any]) -> None:
    def matches(text: str) -> bool:
        return parse(text).matches(attributes)

    assert matches(f"NOT (({left}) AND ({right}))") == matches(f"NOT ({left}) OR NOT ({right})")
    assert matches(f"NOT (({left}) OR ({right}))") == matches(f"NOT ({left}) AND NOT ({right})")


@given(st.one_of(comparisons(), memberships), attribute_dicts)
def test_missing_or_null_attribute_fails_every_comparison(expression: Expression, attributes: dict) -> None:
    assert isinstance(expression, (Comparison, Membership))
    rule = parse(format_expression(expression))
    assert not rule.matches({k: v for k, v in attributes.items() if k != expression.attr})
    assert not rule.matches({**attributes, expression.attr: None})


@given(st.one_of(comparisons(), memberships), scalars)
def test_a_one_element_list_behaves_like_its_element(expression: Expression, value: Any) -> None:
    assert isinstance(expression, (Comparison, Membership))
    rule = parse(format_expression(expression))
    assert rule.matches({expression.attr: [value]}) is rule.matches({expression.attr: value})


def _same_kind(a: Any, b: Any) -> bool:
    def kind(v: Any) -> str:
        return "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float) else type(v).__name__

    return kind(a) == kind(b)


@given(comparisons(), literals)
def test_not_equal_negates_equal_for_a_value_of_the_same_type(comparison: Comparison, value: Any) -> None:
    literal = format_literal(comparison.value)
    equal = parse(f"x == {literal}").matches({"x": value})
    not_equal = parse(f"x != {literal}").matches({"x": value})
    if _same_kind(value, comparison.value):
        assert not_equal is (not equal)
    else:
        assert not equal and not not_equal


homogeneous_members = st.one_of(
    st.lists(strings, min_size=1, max_size=4), st.lists(numbers, min_size=1, max_size=4)
)


@given(homogeneous_members, values)
def test_in_is_any_equal_and_not_in_is_all_not_equal(members: list[Any], value: Any) -> None:
    listed = ", ".join(format_literal(m) for m in members)
    any_equal = " OR ".join(f"x == {format_literal(m)}" for m in members)
    all_not_equal = " AND ".join(f"x != {format_literal(m)}" for m in members)
    attributes = {"x": value}
    assert parse(f"x IN [{listed}]").matches(attributes) is parse(any_equal).matches(attributes)
    if not isinstance(value, list):  # on lists, != and NOT IN are each quantified over the elements
        assert parse(f"x NOT IN [{listed}]").matches(attributes) is parse(all_not_equal).matches(attributes)


@given(versions, versions)
def test_versions_are_totally_ordered(left: str, right: str) -> None:
    attributes = {"v": left}
    outcomes = [parse(f'v {op} "{right}"').matches(attributes) for op in ("<", "==", ">")]
    assert outcomes.count(True) == 1
    left_key, right_key = version_key(left), version_key(right)
    assert left_key is not None and right_key is not None
    assert outcomes[1] is (left_key == right_key)
    assert parse(f'v <= "{right}"').matches(attributes) is (outcomes[0] or outcomes[1])


@given(st.lists(st.integers(0, 30), min_size=2, max_size=4), st.integers(0, 3))
def test_trailing_zeros_do_not_change_a_version(parts: list[int], zeros: int) -> None:
    version = ".".join(map(str, parts))
    padded = version + ".0" * zeros
    assert parse(f'v == "{version}"').matches({"v": padded})


@given(dates, dates)
def test_dates_compare_as_dates(left: str, right: str) -> None:
    rule = parse(f'd < "{right}"')
    assert rule.matches({"d": left}) is (date.fromisoformat(left) < date.fromisoformat(right))


@given(rules, st.dictionaries(st.sampled_from(NAMES), st.one_of(values, st.text(), st.integers())))
def test_evaluation_never_raises(rule: Rule, attributes: dict[str, Any]) -> None:
    assert rule.matches(attributes) in (True, False)
