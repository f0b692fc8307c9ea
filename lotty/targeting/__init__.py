"""The targeting language (SPEC §3.1, docs/targeting.md): parse a rule once, evaluate it many times.

    rule = parse('country IN ["RU", "KZ"] AND app_version >= "1.6.0"')
    rule.matches({"country": "RU", "app_version": "1.7.2"})   # True

Pure: no I/O, no clock. Parsing raises `TargetingError` (code `INVALID_TARGETING`) with the
column and what was expected; evaluation never raises for attributes that are scalars or lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lotty.targeting.compiler import compile_expression, version_key
from lotty.targeting.nodes import (
    And,
    Comparison,
    Expression,
    Literal,
    Membership,
    Not,
    Or,
    attribute_names,
    format_expression,
)
from lotty.targeting.parser import MAX_DEPTH, MAX_LENGTH, parse_expression
from lotty.targeting.syntax import TargetingError

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "Comparison",
    "Expression",
    "Literal",
    "Membership",
    "Not",
    "Or",
    "Rule",
    "TargetingError",
    "compile_rule",
    "format_expression",
    "parse",
    "version_key",
]


class Rule:
    """A parsed, compiled targeting rule.

    `text` is the source as written, `expression` its tree, `attributes` the attribute names it
    reads, and `matches(attributes)` the compiled test (a plain closure stored on the instance, so
    a call costs no method lookup). Rules compare equal when their canonical text is equal.
    """

    __slots__ = ("attributes", "canonical", "expression", "matches", "text")

    text: str
    expression: Expression
    attributes: frozenset[str]
    matches: Callable[[Mapping[str, Any]], bool]
    canonical: str

    def __init__(self, text: str, expression: Expression):
        self.text = text
        self.expression = expression
        self.attributes = attribute_names(expression)
        self.matches = compile_expression(expression)
        self.canonical = format_expression(expression)

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"

    def __str__(self) -> str:
        return self.canonical

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(self.canonical)

    def __reduce__(self) -> tuple[Callable[[str], Rule], tuple[str]]:
        return parse, (self.text,)  # closures do not pickle; the text rebuilds them


def parse(text: str) -> Rule:
    """Parse and compile a rule; raise `TargetingError` when it is malformed (blank text included)."""
    return Rule(text, parse_expression(text))


def compile_rule(text: str | None) -> Rule | None:
    """Like `parse`, but no targeting (None or blank text) gives None: everyone matches."""
    if text is None or not text.strip():
        return None
    return parse(text)
