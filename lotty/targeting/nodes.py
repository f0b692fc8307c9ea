"""The syntax tree of a targeting rule and its canonical text form.

Parsing builds these nodes; `lotty.targeting.compiler` turns them into closures once, and
`format_expression` prints them back as text that parses to an equal tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeAlias

Literal: TypeAlias = bool | int | float | str
"""A literal of the language: a number, a string (dates and versions are strings) or a boolean."""

COMPARISON_OPERATORS = ("==", "!=", ">", ">=", "<", "<=")
ORDERING_OPERATORS = frozenset({">", ">=", "<", "<="})


@dataclass(frozen=True, slots=True)
class Comparison:
    """`attr op value`, e.g. `app_version >= "1.6.0"`."""

    attr: str
    op: str
    value: Literal


@dataclass(frozen=True, slots=True)
class Membership:
    """`attr IN [v, ...]`, or `attr NOT IN [v, ...]` when `negated`."""

    attr: str
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expression


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expression, ...]


Expression: TypeAlias = Comparison | Membership | Not | And | Or


def format_literal(value: Literal) -> str:
    """The literal as it is written in a rule: `true`, `-2.5`, `"RU"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def format_expression(expression: Expression) -> str:
    """Canonical text of a rule: upper-case keywords, single spaces, and the parentheses that keep
    the tree as it is (`NOT` always wraps a non-`NOT` operand in parentheses, for readability)."""
    if isinstance(expression, Comparison):
        return f"{expression.attr} {expression.op} {format_literal(expression.value)}"
    if isinstance(expression, Membership):
        keyword = "NOT IN" if expression.negated else "IN"
        values = ", ".join(format_literal(value) for value in expression.values)
        return f"{expression.attr} {keyword} [{values}]"
    if isinstance(expression, Not):
        inner = format_expression(expression.operand)
        return f"NOT {inner}" if isinstance(expression.operand, Not) else f"NOT ({inner})"
    if isinstance(expression, And):
        return " AND ".join(_format_operand(e, (And, Or)) for e in expression.operands)
    return " OR ".join(_format_operand(e, (Or,)) for e in expression.operands)


def _format_operand(expression: Expression, wrapped: tuple[type, ...]) -> str:
    text = format_expression(expression)
    return f"({text})" if isinstance(expression, wrapped) else text


def attribute_names(expression: Expression) -> frozenset[str]:
    """Every attribute the rule reads, e.g. `{"country", "device.os"}`."""
    if isinstance(expression, (Comparison, Membership)):
        return frozenset({expression.attr})
    if isinstance(expression, Not):
        return attribute_names(expression.operand)
    return frozenset().union(*(attribute_names(e) for e in expression.operands))
