"""Semantics of the targeting language, compiled once into closures for the decide hot path.

Every comparison becomes `test(attributes) -> bool`. Literals are classified when the rule is
compiled (number, boolean, plain string, version string), so evaluation does one dict lookup, a
class check and a C-level comparison; only a version literal makes the attribute value be read
as a version, through a bounded cache.

Dates need no code of their own: for two valid `YYYY-MM-DD` strings, date order is string order.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from lotty.targeting.nodes import And, Comparison, Expression, Literal, Membership, Not, Or

Predicate = Callable[[Any], bool]
Test = Callable[[Mapping[str, Any]], bool]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_NUMBER_TYPES = frozenset({int, float})  # exact classes: bool is an int subclass, but not a number here
_SEQUENCE_TYPES = frozenset({list, tuple})

_VERSION = re.compile(
    r"v?([0-9]+(?:\.[0-9]+)+)"  # release: at least two dot-separated numbers
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"  # optional pre-release, as in SemVer
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?",  # optional build metadata, ignored
    re.ASCII,
)
_MAX_VERSION_LENGTH = 128
_VERSION_CACHE: dict[str, Any] = {}  # attribute string -> key or None; cleared when full
_VERSION_CACHE_SIZE = 4096
_MISSING = object()

VersionKey = tuple[tuple[int, ...], tuple[Any, ...]]


def version_key(text: str) -> VersionKey | None:
    """A sortable key when `text` looks like a version (`1.10.0`, `v2.1`, `1.2.0-rc.1`), else None.

    Trailing zero parts are dropped (`1.2 == 1.2.0`); a pre-release sorts before its release and
    its identifiers compare as in SemVer (numbers numerically, below words); `+build` is ignored.
    """
    key = _VERSION_CACHE.get(text, _MISSING)
    if key is _MISSING:
        if len(text) > _MAX_VERSION_LENGTH:
            return None  # not a version, and not worth a cache slot
        key = _parse_version(text)
        if len(_VERSION_CACHE) >= _VERSION_CACHE_SIZE:
            _VERSION_CACHE.clear()
        _VERSION_CACHE[text] = key
    return key


def _parse_version(text: str) -> VersionKey | None:
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    release = [int(part) for part in match.group(1).split(".")]
    while release and release[-1] == 0:
        release.pop()
    pre_release = match.group(2)
    if pre_release is None:
        return tuple(release), (1,)
    identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre_release.split("."))
    return tuple(release), (0, identifiers)


def compile_expression(expression: Expression) -> Test:
    """Turn a parsed rule into one `attributes -> bool` closure."""
    if isinstance(expression, Comparison):
        predicate = _comparison_predicate(expression.op, expression.value)
        return _attribute_test(expression.attr, predicate, expression.op == "!=")
    if isinstance(expression, Membership):
        predicate = _membership_predicate(expression.values, expression.negated)
        return _attribute_test(expression.attr, predicate, expression.negated)
    if isinstance(expression, Not):
        operand = compile_expression(expression.operand)
        return lambda attributes: not operand(attributes)
    operands = tuple(compile_expression(e) for e in expression.operands)
    if isinstance(expression, And):
        return _all(operands)
    assert isinstance(expression, Or)
    return _any(operands)


def _attribute_test(attr: str, predicate: Predicate, negative: bool) -> Test:
    """Look `attr` up and apply `predicate`; a list value needs any element to pass, or all of a
    non-empty list for the negative operators (`!=`, `NOT IN`). Missing and null fail every test."""
    if negative:

        def test(attributes: Mapping[str, Any]) -> bool:
            value = attributes.get(attr)
            if value.__class__ in _SEQUENCE_TYPES:
                return bool(value) and all(map(predicate, value))
            return predicate(value)

    else:

        def test(attributes: Mapping[str, Any]) -> bool:
            value = attributes.get(attr)
            if value.__class__ in _SEQUENCE_TYPES:
                return any(map(predicate, value))
            return predicate(value)

    return test


def _comparison_predicate(op: str, literal: Literal) -> Predicate:
    """`value -> bool` for `attr op literal`; False for None and for a value of another type."""
    compare = _OPERATORS[op]
    if isinstance(literal, bool):
        return lambda value: value.__class__ is bool and compare(value, literal)
    if not isinstance(literal, str):
        return lambda value: value.__class__ in _NUMBER_TYPES and compare(value, literal)
    literal_version = version_key(literal)
    if literal_version is None:
        return lambda value: value.__class__ is str and compare(value, literal)

    def compare_as_version(value: Any) -> bool:
        if value.__class__ is not str:
            return False
        value_version = version_key(value)
        if value_version is None:
            return compare(value, literal)
        return compare(value_version, literal_version)

    return compare_as_version


def _membership_predicate(members: tuple[Literal, ...], negated: bool) -> Predicate:
    """`value -> bool` for `IN` (equal to a member) or `NOT IN` (of a member's type, equal to none)."""
    strings = frozenset(m for m in members if isinstance(m, str))
    versions = frozenset(k for k in map(version_key, strings) if k is not None)
    numbers = frozenset(m for m in members if m.__class__ in _NUMBER_TYPES)
    booleans = frozenset(m for m in members if isinstance(m, bool))
    kinds = {str: strings, int: numbers, float: numbers, bool: booleans}
    present = {cls: group for cls, group in kinds.items() if group}

    if versions:

        def is_member(value: Any) -> bool:
            group = present.get(value.__class__)
            if group is None:
                return False
            return value in group or (group is strings and version_key(value) in versions)

    else:

        def is_member(value: Any) -> bool:
            group = present.get(value.__class__)
            return group is not None and value in group

    if not negated:
        return is_member

    def is_not_member(value: Any) -> bool:
        return value.__class__ in present and not is_member(value)

    return is_not_member


def _all(operands: tuple[Test, ...]) -> Test:
    if len(operands) == 2:
        first, second = operands
        return lambda attributes: first(attributes) and second(attributes)

    def test(attributes: Mapping[str, Any]) -> bool:
        for operand in operands:  # noqa: SIM110 - a plain loop is faster than all() over a generator
            if not operand(attributes):
                return False
        return True

    return test


def _any(operands: tuple[Test, ...]) -> Test:
    if len(operands) == 2:
        first, second = operands
        return lambda attributes: first(attributes) or second(attributes)

    def test(attributes: Mapping[str, Any]) -> bool:
        for operand in operands:  # noqa: SIM110 - a plain loop is faster than any() over a generator
            if operand(attributes):
                return True
        return False

    return test
