"""Conditions of metric checks: ``< 0.01``, ``<= live * 1.2``, ``> (live - 5) / 2``.

A condition is a comparison operator followed by an arithmetic expression of
numbers and ``live`` (the same query's value on the live colour, same period),
with ``+ - * /``, unary minus and parentheses. It is parsed here by a small
recursive-descent parser into a tree; nothing is ever evaluated by Python's
``eval``, and nothing but these tokens is accepted.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(live)\b|([-+*/()]))"
)
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
MAX_LENGTH = 200


class ConditionError(ValueError):
    """A condition that does not parse; the message says where."""


@dataclass(frozen=True)
class Node:
    op: str  # "num", "live", "neg" or one of + - * /
    value: float = 0.0
    left: Node | None = None
    right: Node | None = None

    def evaluate(self, live: float | None) -> float | None:
        """The value; None when it needs ``live`` and there is none."""
        if self.op == "num":
            return self.value
        if self.op == "live":
            return live
        assert self.left is not None
        left = self.left.evaluate(live)
        if self.op == "neg":
            return None if left is None else -left
        assert self.right is not None
        right = self.right.evaluate(live)
        if left is None or right is None:
            return None
        if self.op == "/" and right == 0:
            return math.inf if left > 0 else (-math.inf if left < 0 else math.nan)
        return _ARITHMETIC[self.op](left, right)

    @property
    def uses_live(self) -> bool:
        if self.op == "live":
            return True
        return any(n is not None and n.uses_live for n in (self.left, self.right))


@dataclass(frozen=True)
class Condition:
    """``value <op> expression``: what a healthy data point satisfies."""

    text: str
    comparison: str
    expression: Node

    @property
    def uses_live(self) -> bool:
        return self.expression.uses_live

    def holds(self, value: float, live: float | None = None) -> bool | None:
        """True or False; None when the condition needs ``live`` and it is missing."""
        bound = self.expression.evaluate(live)
        if bound is None or math.isnan(bound) or math.isnan(value):
            return None
        return OPERATORS[self.comparison](value, bound)


def parse_condition(text: str) -> Condition:
    """Parse ``<op> <expression>``; raises ConditionError with the offending position."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"condition longer than {MAX_LENGTH} characters")
    stripped = text.strip()
    comparison = next((op for op in OPERATORS if stripped.startswith(op)), None)
    if comparison is None:
        raise ConditionError(
            f"{text!r} must start with one of {', '.join(OPERATORS)} (e.g. '< 0.01')"
        )
    parser = _Parser(stripped[len(comparison) :], text)
    node = parser.expression()
    if parser.peek() is not None:
        raise ConditionError(f"{text!r}: unexpected {parser.peek()!r}")
    return Condition(text=stripped, comparison=comparison, expression=node)


class _Parser:
    """expression := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ;
    factor := '-' factor | number | 'live' | '(' expression ')'"""

    def __init__(self, source: str, original: str) -> None:
        self.original = original
        self.tokens: list[str] = []
        position = 0
        while position < len(source):
            if source[position:].strip() == "":
                break
            match = _TOKEN.match(source, position)
            if match is None:
                raise ConditionError(
                    f"{original!r}: cannot read {source[position:].strip()[:20]!r}; "
                    "use numbers, live, + - * / and parentheses"
                )
            self.tokens.append(next(g for g in match.groups() if g is not None))
            position = match.end()
        self.index = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConditionError(f"{self.original!r}: ends too early")
        self.index += 1
        return token

    def expression(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = Node(op, left=node, right=self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take()
            node = Node(op, left=node, right=self.factor())
        return node

    def factor(self) -> Node:
        token = self.take()
        if token == "-":
            return Node("neg", left=self._nested(self.factor))
        if token == "live":
            return Node("live")
        if token == "(":
            node = self._nested(self.expression)
            if self.take() != ")":
                raise ConditionError(f"{self.original!r}: missing ')'")
            return node
        if token in _ARITHMETIC or token == ")":
            raise ConditionError(f"{self.original!r}: unexpected {token!r}")
        value = float(token)
        if not math.isfinite(value):
            raise ConditionError(f"{self.original!r}: {token} is not a finite number")
        return Node("num", value=value)

    def _nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > 20:
            raise ConditionError(f"{self.original!r}: nested too deeply")
        try:
            return parse()
        finally:
            self.depth -= 1
