"""Recursive-descent parser for the targeting grammar (SPEC §3.1):

    expr       := term ("OR" term)*
    term       := factor ("AND" factor)*
    factor     := "NOT" factor | "(" expr ")" | comparison
    comparison := attr op literal | attr ["NOT"] "IN" "[" literal ("," literal)* "]"

Nesting (parentheses and `NOT`s) is capped at `MAX_DEPTH` and text at `MAX_LENGTH`, so no input
reaches Python's recursion limit.
"""

from __future__ import annotations

from typing import NoReturn

from lotty.targeting.nodes import (
    ORDERING_OPERATORS,
    And,
    Comparison,
    Expression,
    Literal,
    Membership,
    Not,
    Or,
)
from lotty.targeting.syntax import TargetingError, Token, describe_source, tokenize

MAX_LENGTH = 8192
MAX_DEPTH = 64

_START = ["an attribute name", "NOT", '"("']
_OPERATOR = ["an operator (==, !=, >, >=, <, <=)", "IN", "NOT IN"]
_LITERAL = ['a literal (number, "string", true, false)']


def parse_expression(text: str) -> Expression:
    """Parse `text` into a tree, or raise `TargetingError` at the first problem."""
    if len(text) > MAX_LENGTH:
        raise TargetingError(
            MAX_LENGTH + 1, [f"at most {MAX_LENGTH} characters"], f"{len(text)} characters", note="too long"
        )
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def parse(self) -> Expression:
        expression = self.expr(0)
        if self.peek().kind != "EOF":
            self.fail(["AND", "OR", "end of input"])
        return expression

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self, depth: int) -> Expression:
        terms = [self.term(depth)]
        while self.peek().is_keyword("OR"):
            self.advance()
            terms.append(self.term(depth))
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def term(self, depth: int) -> Expression:
        factors = [self.factor(depth)]
        while self.peek().is_keyword("AND"):
            self.advance()
            factors.append(self.factor(depth))
        return factors[0] if len(factors) == 1 else And(tuple(factors))

    def factor(self, depth: int) -> Expression:
        token = self.peek()
        if token.is_keyword("NOT") or token.is_punct("("):
            if depth >= MAX_DEPTH:
                self.fail([f"at most {MAX_DEPTH} levels of parentheses and NOT"], note="too deeply nested")
            self.advance()
            if token.kind == "KEYWORD":
                return Not(self.factor(depth + 1))
            inner = self.expr(depth + 1)
            if not self.peek().is_punct(")"):
                self.fail(["AND", "OR", '")"'])
            self.advance()
            return inner
        if token.kind == "NAME":
            return self.comparison()
        self.fail(_START)

    def comparison(self) -> Expression:
        attr = self.advance().value
        token = self.peek()
        if token.kind == "OP":
            self.advance()
            literal_token = self.peek()
            value = self.literal()
            if isinstance(value, bool) and token.value in ORDERING_OPERATORS:
                raise TargetingError(
                    token.start + 1,
                    ["==", "!="],
                    describe_source(token.value),
                    note=f"booleans support only == and !=, and {self.source(literal_token)} is a boolean",
                )
            return Comparison(attr, token.value, value)
        negated = token.is_keyword("NOT")
        if negated:
            self.advance()
            if not self.peek().is_keyword("IN"):
                self.fail(["IN"], note="after an attribute, NOT must be followed by IN")
        elif not token.is_keyword("IN"):
            self.fail(_OPERATOR)
        self.advance()
        return Membership(attr, self.literal_list(), negated)

    def literal_list(self) -> tuple[Literal, ...]:
        if not self.peek().is_punct("["):
            self.fail(['"["'])
        self.advance()
        values = [self.literal()]
        while self.peek().is_punct(","):
            self.advance()
            values.append(self.literal())
        if not self.peek().is_punct("]"):
            self.fail(['","', '"]"'])
        self.advance()
        return tuple(values)

    def literal(self) -> Literal:
        token = self.peek()
        if token.kind != "LITERAL":
            self.fail(_LITERAL)
        self.advance()
        value: Literal = token.value
        return value

    def source(self, token: Token) -> str:
        return self.text[token.start : token.end]

    def fail(self, expected: list[str], *, note: str | None = None) -> NoReturn:
        """Raise what was expected at the current token (or the lexer's own error for a BAD one)."""
        token = self.peek()
        if token.error is not None:
            raise token.error
        found = "end of input" if token.kind == "EOF" else describe_source(self.source(token))
        if note is None:
            note = token.note or _hint(token, expected)
        raise TargetingError(token.start + 1, expected, found, note=note)


def _hint(token: Token, expected: list[str]) -> str | None:
    if expected is _LITERAL and token.kind == "NAME":
        return f'strings are written in double quotes: "{token.value}"'
    if token.kind == "BAD" and token.value == "'":
        return "strings are written in double quotes"
    if token.kind == "BAD" and token.value == "=":
        return "equality is written =="
    return None
