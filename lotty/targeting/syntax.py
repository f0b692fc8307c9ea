"""Tokens of the targeting language and the error every malformed rule raises.

The lexer never raises: what it cannot read becomes a `BAD` token (a broken string or dotted name
carries its own error, an unquoted version or date a hint), so the parser reports the first
problem in reading order, with what it expected at that point.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lotty.errors import ValidationError

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_UNQUOTED_VERSION = re.compile(r"-?[0-9]+(?:\.[0-9]+){2,}")
_UNQUOTED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
_PUNCTUATION = "()[],"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_ESCAPE = 'an escape (\\" \\\\ \\/ \\n \\t \\r \\b \\f \\uXXXX)'
_UNICODE_ESCAPE = "four hex digits after \\u (a surrogate pair for a code point above FFFF)"
_MAX_NUMBER_LENGTH = 100
_DIGITS = frozenset("0123456789")


class TargetingError(ValidationError):
    """A targeting rule that does not parse: where (1-based `column`) and what was `expected`.

    `str(error)` reads like `column 8: expected a literal (number, "string", true, false) but found
    end of input`; `details` is `{"field": "targeting", "column": 8, "expected": [...]}`.
    """

    code = "INVALID_TARGETING"

    def __init__(self, column: int, expected: Sequence[str], found: str, *, note: str | None = None):
        message = f"column {column}: expected {join_alternatives(expected)} but found {found}"
        if note:
            message += f" ({note})"
        super().__init__(message, field="targeting", details={"column": column, "expected": list(expected)})
        self.column = column
        self.expected = list(expected)
        self.found = found


def join_alternatives(items: Sequence[str]) -> str:
    """`["a", "b", "c"]` → `a, b or c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True, slots=True)
class Token:
    """`kind` is NAME, KEYWORD, LITERAL, OP, PUNCT, EOF or BAD; `start`/`end` are 0-based offsets.

    A BAD token carries either a complete `error` (a broken string or name, whatever the parser
    expected there) or a `note` the parser adds to its own expectation (an unquoted version).
    """

    kind: str
    value: Any
    start: int
    end: int
    error: TargetingError | None = None
    note: str | None = None

    def is_keyword(self, word: str) -> bool:
        return self.kind == "KEYWORD" and self.value == word

    def is_punct(self, char: str) -> bool:
        return self.kind == "PUNCT" and self.value == char


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with EOF, or with BAD at the first unreadable spot."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            tokens.append(Token("EOF", None, n, n))
            return tokens
        token = _read_token(text, i)
        tokens.append(token)
        if token.kind == "BAD":
            return tokens
        i = token.end


def _read_token(text: str, i: int) -> Token:
    char = text[i]
    if char == '"':
        return _read_string(text, i)
    if char.isascii() and (char.isalpha() or char == "_"):
        return _read_name(text, i)
    if char in _DIGITS or (char == "-" and text[i + 1 : i + 2] in _DIGITS):
        return _read_number(text, i)
    for op in _OPERATORS:
        if text.startswith(op, i):
            return Token("OP", op, i, i + len(op))
    if char in _PUNCTUATION:
        return Token("PUNCT", char, i, i + 1)
    return Token("BAD", char, i, i + 1)


def _read_name(text: str, i: int) -> Token:
    match = _NAME.match(text, i)
    assert match is not None
    end = match.end()
    if text.startswith(".", end):
        return _bad(text, end + 1, ['a name after "."'])
    word = match.group()
    upper = word.upper()
    if upper in KEYWORDS:
        return Token("KEYWORD", upper, i, end)
    if upper in ("TRUE", "FALSE"):
        return Token("LITERAL", upper == "TRUE", i, end)
    return Token("NAME", word, i, end)


def _read_number(text: str, i: int) -> Token:
    date = _UNQUOTED_DATE.match(text, i)
    if date:
        return Token("BAD", date.group(), i, date.end(), note=f'dates are strings: write "{date.group()}"')
    version = _UNQUOTED_VERSION.match(text, i)
    if version:
        found = version.group()
        return Token("BAD", found, i, version.end(), note=f'versions are strings: write "{found}"')
    match = _NUMBER.match(text, i)
    assert match is not None
    source = match.group()
    if len(source) > _MAX_NUMBER_LENGTH:
        note = f"a number has at most {_MAX_NUMBER_LENGTH} characters"
        return Token("BAD", source, i, match.end(), note=note)
    value = int(source) if source.lstrip("-").isdigit() else float(source)
    if not math.isfinite(value):
        return Token("BAD", source, i, match.end(), note="a number must be finite")
    return Token("LITERAL", value, i, match.end())


def _read_string(text: str, start: int) -> Token:
    parts: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            return Token("LITERAL", "".join(parts), start, i + 1)
        if char != "\\":
            parts.append(char)
            i += 1
            continue
        escape = text[i + 1 : i + 2]
        if escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            i += 2
        elif escape == "u":
            code, i = _read_unicode_escape(text, i)
            if code is None:
                return _bad(text, i, [_UNICODE_ESCAPE])
            parts.append(code)
        else:
            return _bad(text, i + 1, [_ESCAPE])
    note = f"the string opened at column {start + 1} is not closed"
    return _bad(text, n, ['a closing " (double quote)'], note=note)


def _read_unicode_escape(text: str, i: int) -> tuple[str | None, int]:
    """Read `\\uXXXX` (or a surrogate pair of them) at `i`; the position of the error when malformed."""
    if not _HEX4.fullmatch(text, i + 2, i + 6):
        return None, i + 2
    code = int(text[i + 2 : i + 6], 16)
    if 0xDC00 <= code <= 0xDFFF:
        return None, i
    if 0xD800 <= code <= 0xDBFF:
        if text[i + 6 : i + 8] != "\\u" or not _HEX4.fullmatch(text, i + 8, i + 12):
            return None, i + 6
        low = int(text[i + 8 : i + 12], 16)
        if not 0xDC00 <= low <= 0xDFFF:
            return None, i + 6
        return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), i + 12
    return chr(code), i + 6


def _bad(text: str, at: int, expected: list[str], *, note: str | None = None) -> Token:
    found = describe_source(text[at : at + 1]) if at < len(text) else "end of input"
    error = TargetingError(at + 1, expected, found, note=note)
    return Token("BAD", None, at, at + 1, error=error)


def describe_source(source: str) -> str:
    """How a piece of the rule is quoted in an error message."""
    if len(source) > 30:
        source = source[:29] + "…"
    return "'" + source + "'"
