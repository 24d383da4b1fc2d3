"""A small, safe predicate language for conditional requirements and fees.

A requirement or a fee applies "when" a condition over the form's answers holds::

    business_type == "pt" and capital >= 100000000
    "export" in activities
    not has_npwp
    vehicle_age > 5 or ownership in ["company", "lease"]
    is_set(npwp_number)
    birth_date < 2008-01-01

The grammar, loosest binding first::

    rule       := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | primary
    primary    := "(" rule ")" | "is_set" "(" field ")" | comparison
    comparison := field | field OP value | value OP field
                | field "in" "[" value, ... "]" | string "in" field
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    value      := "text" | 12 | 12.50 | -3 | true | false | 2008-01-31

`parse_rule` reads the text with a hand-written tokenizer and recursive-descent
parser (never `eval` or `ast`) under fixed limits: 1000 characters, 200 tokens and
20 levels of parentheses or ``not``.  No input can make it run code or recurse
without bound.  `Rule.evaluate` raises for no answer: a missing one, or one of the
wrong type, makes a comparison false, and the `Explanation` says why.  A missing
answer makes ``!=`` false too: ``not (x == "a")`` and ``x != "a"`` differ then.

>>> rule = parse_rule('business_type == "pt" and capital >= 100000000')
>>> sorted(rule.fields())
['business_type', 'capital']
>>> print(rule.evaluate({"business_type": "pt", "capital": 5}).text)
business_type == "pt" is true (answer: "pt") and capital >= 100000000 is false (answer: 5)
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Final, TypeAlias

import attrs

from onestop.domain.catalogue._rule_nodes import (
    _NODES,
    _Compare,
    _Contains,
    _Field,
    _Group,
    _In,
    _IsSet,
    _Junction,
    _Kind,
    _Leaf,
    _List,
    _Literal,
    _Node,
    _Not,
    _Operand,
    _Token,
    _Truthy,
)
from onestop.domain.common.formats import kind_of
from onestop.domain.common.kinds import check_type
from onestop.exceptions import InvalidValue, RuleSyntaxError

__all__ = ["Explanation", "Rule", "RuleValue", "parse_rule"]

RuleValue: TypeAlias = str | Decimal | bool | datetime.date | tuple[str, ...] | None
"""What an answer can be; multiple-choice answers are tuples of choice values."""

_MAX_LENGTH: Final = 1000
_MAX_TOKENS: Final = 200
_MAX_DEPTH: Final = 20
_SHOWN: Final = 40  # characters of an answer quoted in an explanation

_SCAN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
  | (?P<name>[a-z_][a-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE | re.ASCII,
)
_GLUED = re.compile(r"[A-Za-z0-9_.\-]")  # may not follow a number or a date directly
_HINTS: Final = {
    "=": "; use '=='",
    "'": "; use double quotes",
    "&": "; use 'and'",
    "|": "; use 'or'",
}
_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false"})
_ORDERING: Final = frozenset({"<", "<=", ">", ">="})


@attrs.frozen
class Explanation:
    """Whether a rule (or one part of it) holds for some answers, and why.

    Attributes:
        value: Whether it holds.
        text: One human sentence, e.g. ``business_type == "pt" is true (answer: "pt")``;
            for ``and`` and ``or``, the children's sentences joined.
        children: The explanations of the parts of ``and``, ``or`` and ``not``.
    """

    value: bool
    text: str
    children: tuple[Explanation, ...] = ()

    def __str__(self) -> str:
        """Return the sentence."""
        return self.text


@attrs.frozen
class Rule:
    """A parsed condition over a form's answers; build one with `parse_rule`.

    Two rules are equal when they were written alike, up to whitespace and the
    spelling of numbers (``007`` is written ``7``).

    Attributes:
        source: The rule as written, with whitespace normalised; parses to an equal rule.

    Raises:
        InvalidValue: If *source* is not text, or *node* not the root of a rule
            `parse_rule` made.
    """

    source: str = attrs.field(validator=lambda _, __, value: check_type(value, str, field="source"))
    _node: _Node = attrs.field(repr=False, alias="node", validator=lambda _, __, node: _root(node))

    def __str__(self) -> str:
        """Return the source."""
        return self.source

    def fields(self) -> frozenset[str]:
        """Return the names of the form fields this rule refers to."""
        names: set[str] = set()
        stack: list[_Node] = [self._node]
        while stack:
            node = stack.pop()
            if isinstance(node, _Not | _Group):
                stack.append(node.child)
            elif isinstance(node, _Junction):
                stack.extend(node.children)
            else:
                names.add(node.field)
        return frozenset(names)

    def evaluate(self, answers: Mapping[str, object]) -> Explanation:
        """Return whether the rule holds for *answers*, with an explanation.

        An absent or ``None`` answer, or one of the wrong type, makes the comparison
        that reads it false (``!=`` included); only *answers* that is not a mapping
        raises (`InvalidValue`).  Integers and floats compare as numbers; booleans do
        not.  A datetime compares as its date.
        """
        return _explain(self._node, check_type(answers, Mapping, field="answers"))


def _root(node: object) -> None:
    """Refuse a root that is not a node `parse_rule` makes (build a rule with it)."""
    if not isinstance(node, _NODES):
        reason = f"expected the root of a rule parse_rule made, not {kind_of(node)}"
        raise InvalidValue(field="node", reason=reason)


def parse_rule(source: str) -> Rule:
    """Parse *source* into a `Rule`.

    Raises:
        RuleSyntaxError: If the text does not parse, or passes a limit (1000
            characters, 200 tokens, 20 levels of parentheses or ``not``), or holds a
            lone surrogate or a control character other than a tab or a line break.
    """
    if not isinstance(source, str):
        raise _fail("", 0, f"expected a rule as text, not {kind_of(source)}")
    if len(source) > _MAX_LENGTH:
        raise _fail(source, _MAX_LENGTH, f"rule is longer than {_MAX_LENGTH} characters")
    for pos, char in enumerate(source):
        kind = unicodedata.category(char)
        if kind == "Cs" or (kind == "Cc" and char not in "\t\n\r"):
            what = (
                "a lone surrogate" if kind == "Cs" else f"a control character (U+{ord(char):04X})"
            )
            raise _fail(source, pos, f"{what} is not allowed in a rule")
    node = _Parser(source, _tokenize(source)).parse()
    return Rule(source=_render(node), node=node)


def _fail(source: str, position: int, reason: str) -> RuleSyntaxError:
    return RuleSyntaxError(expression=source, position=position, reason=reason)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        if source[pos] == '"':
            text, end = _scan_string(source, pos)
            token = _Token("literal", source[pos:end], pos, _Literal(_Kind.TEXT, text))
        else:
            match = _SCAN.match(source, pos)
            if match is None:
                char = source[pos]
                hint = "; names and keywords are lowercase" if char.isupper() else ""
                reason = f"unexpected character {char!r}{_HINTS.get(char, hint)}"
                raise _fail(source, pos, reason)
            end = match.end()
            if match.lastgroup == "space":
                pos = end
                continue
            token = _make_token(source, match)
        tokens.append(token)
        if len(tokens) > _MAX_TOKENS:
            raise _fail(source, pos, f"rule has more than {_MAX_TOKENS} tokens")
        pos = end
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _make_token(source: str, match: re.Match[str]) -> _Token:
    text, pos, group = match.group(), match.start(), match.lastgroup or ""
    if group in ("date", "number") and _GLUED.match(source, match.end()):
        raise _fail(source, pos, f"malformed {group}; write 12, 12.50, -3 or 2024-01-31")
    if group == "date":
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise _fail(source, pos, f"{text} is not a valid date") from None
        return _Token("literal", text, pos, _Literal(_Kind.DATE, day))
    if group == "number":
        return _Token("literal", text, pos, _Literal(_Kind.NUMBER, Decimal(text)))
    if text in ("true", "false"):
        return _Token("literal", text, pos, _Literal(_Kind.BOOLEAN, text == "true"))
    if group == "name" and text not in _KEYWORDS:
        return _Token("name", text, pos)
    return _Token("op" if group == "op" else text, text, pos)


def _scan_string(source: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    pos = start + 1
    while pos < len(source):
        char = source[pos]
        if char == '"':
            return "".join(chars), pos + 1
        if char == "\\":
            escaped = source[pos + 1 : pos + 2]
            if not escaped:
                break
            if escaped not in ('"', "\\"):
                raise _fail(source, pos, 'unknown escape; only \\" and \\\\ are allowed')
            char = escaped
            pos += 1
        chars.append(char)
        pos += 1
    raise _fail(source, start, "unterminated string")


class _Parser:
    """Recursive descent over the token list; `_depth` bounds the recursion."""

    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self._source = source
        self._tokens = tokens
        self._at = 0
        self._depth = 0

    def parse(self) -> _Node:
        if self._peek().kind == "end":
            raise _fail(self._source, 0, "empty rule")
        node = self._junction("or")
        token = self._peek()
        if token.kind != "end":
            raise self._error(token, f"unexpected {_describe(token)} after a complete condition")
        return node

    def _peek(self, ahead: int = 0) -> _Token:
        return self._tokens[min(self._at + ahead, len(self._tokens) - 1)]

    def _next(self) -> _Token:
        token = self._peek()
        self._at = min(self._at + 1, len(self._tokens) - 1)
        return token

    def _error(self, token: _Token, reason: str) -> RuleSyntaxError:
        return _fail(self._source, token.pos, reason)

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise self._error(token, f"parentheses or 'not' nested deeper than {_MAX_DEPTH}")

    def _junction(self, word: str) -> _Node:
        part = self._unary if word == "and" else lambda: self._junction("and")
        children = [part()]
        while self._peek().kind == word:
            self._next()
            children.append(part())
        return children[0] if len(children) == 1 else _Junction(word, tuple(children))

    def _unary(self) -> _Node:
        token = self._next()
        if token.kind == "not":
            self._enter(token)
            node: _Node = _Not(self._unary())
        elif token.kind == "(":
            self._enter(token)
            node = _Group(self._junction("or"))
            closing = self._next()
            if closing.kind != ")":
                reason = f"expected ')' to close the '(' at position {token.pos}"
                raise self._error(closing, f"{reason}, found {_describe(closing)}")
        elif token.kind == "name" and self._peek().kind == "(":
            return self._call(token)
        else:
            return self._comparison(token)
        self._depth -= 1
        return node

    def _call(self, name: _Token) -> _Node:
        if name.text != "is_set":
            raise self._error(name, f"unknown function {name.text!r}; the only one is is_set")
        self._next()
        argument, closing = self._next(), self._next()
        if argument.kind != "name" or closing.kind != ")":
            raise self._error(argument, "is_set(...) takes one field name")
        return _IsSet(argument.text)

    def _comparison(self, first: _Token) -> _Node:
        left = self._operand(first)
        op = self._peek()
        if op.kind in ("op", "in"):
            self._next()
            right = self._operand(self._next())
            if op.kind == "in":
                return self._membership(first, op, left, right)
            return self._compare(first, op, left, right)
        if op.kind == "not" and self._peek(1).kind == "in":
            raise self._error(op, "write 'not x in [...]' instead of 'x not in [...]'")
        if isinstance(left, _Field):
            return _Truthy(left.name)
        raise self._error(first, "a value alone is not a condition; compare a field with it")

    def _operand(self, token: _Token) -> _Operand:
        if token.kind == "name":
            return _Field(token.text)
        if token.literal is not None:
            return token.literal
        if token.kind == "[":
            return self._list()
        raise self._error(token, f"expected a field or a value, found {_describe(token)}")

    def _list(self) -> _List:
        items: list[_Literal] = []
        if self._peek().kind == "]":
            self._next()
            return _List(())
        while True:
            token = self._next()
            if token.literal is None:
                raise self._error(token, 'a list holds only values such as "a", 5 or 2024-01-31')
            items.append(token.literal)
            separator = self._next()
            if separator.kind == "]":
                return _List(tuple(items))
            if separator.kind != ",":
                raise self._error(separator, f"expected ',' or ']', found {_describe(separator)}")

    def _compare(self, first: _Token, op: _Token, left: _Operand, right: _Operand) -> _Node:
        if isinstance(left, _List) or isinstance(right, _List):
            raise self._error(op, "a list can only follow 'in'")
        if isinstance(left, _Field) and isinstance(right, _Literal):
            field, value, field_first = left.name, right, True
        elif isinstance(left, _Literal) and isinstance(right, _Field):
            field, value, field_first = right.name, left, False
        else:
            raise self._error(first, "compare a field with a value")
        if op.text in _ORDERING and value.kind not in (_Kind.NUMBER, _Kind.DATE):
            raise self._error(op, f"{op.text!r} needs a number or a date, not {value.kind.value}")
        return _Compare(field, op.text, value, field_first)

    def _membership(self, first: _Token, op: _Token, left: _Operand, right: _Operand) -> _Node:
        if isinstance(left, _Field) and isinstance(right, _List):
            return _In(left.name, right.items)
        if isinstance(left, _Literal) and isinstance(right, _Field):
            if not isinstance(left.value, str):
                raise self._error(first, "only text can be looked for among a field's choices")
            return _Contains(left.value, right.name)
        if isinstance(left, _Field) and isinstance(right, _Literal):
            raise self._error(op, """'in' after a field needs a list such as ["a", "b"]""")
        if isinstance(left, _List):
            raise self._error(first, "a list can only follow 'in'")
        raise self._error(first, "compare a field with a value")


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the rule"
    text = token.text if len(token.text) <= _SHOWN else token.text[: _SHOWN - 3] + "..."
    return repr(text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal_text(literal: _Literal) -> str:
    value = literal.value
    if isinstance(value, bool):
        return _word(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value.isoformat()


def _render(node: _Node) -> str:
    match node:
        case _Compare(field=field, op=op, value=value, field_first=field_first):
            sides = (field, _literal_text(value))
            return f"{sides[0]} {op} {sides[1]}" if field_first else f"{sides[1]} {op} {sides[0]}"
        case _In(field=field, items=items):
            return f"{field} in [{', '.join(_literal_text(i) for i in items)}]"
        case _Contains(item=item, field=field):
            return f"{_quote(item)} in {field}"
        case _Truthy(field=field):
            return field
        case _IsSet(field=field):
            return f"is_set({field})"
        case _Not(child=child):
            return f"not {_render(child)}"
        case _Group(child=child):
            return f"({_render(child)})"
        case _Junction(word=word, children=children):
            return f" {word} ".join(_render(c) for c in children)


def _word(value: bool) -> str:
    return "true" if value else "false"


def _explain(node: _Node, answers: Mapping[str, object]) -> Explanation:
    if isinstance(node, _Group):
        return _explain(node.child, answers)
    if isinstance(node, _Not):
        inner = _explain(node.child, answers)
        text = f"{_render(node)} is {_word(not inner.value)} because {inner.text}"
        return Explanation(not inner.value, text, (inner,))
    if isinstance(node, _Junction):
        parts = tuple(_explain(c, answers) for c in node.children)
        values = [p.value for p in parts]
        value = all(values) if node.word == "and" else any(values)
        texts = (
            f"({p.text})" if isinstance(c, _Group | _Not | _Junction) else p.text
            for c, p in zip(node.children, parts, strict=True)
        )
        return Explanation(value, f" {node.word} ".join(texts), parts)
    value, detail = _leaf(node, answers.get(node.field))
    return Explanation(value, f"{_render(node)} is {_word(value)} ({detail})")


def _leaf(node: _Leaf, answer: object) -> tuple[bool, str]:
    if answer is None:
        return False, "no answer"
    shown = f"answer: {_show(answer)}"
    if isinstance(node, _Compare):
        value = _as_kind(answer, node.value.kind)
        if value is None:
            return False, f"answer is not {node.value.kind.value}"
        pair = (value, node.value.value) if node.field_first else (node.value.value, value)
        return _holds(node.op, *pair), shown
    if isinstance(node, _In):
        kinds = {i.kind for i in node.items}
        candidates = {k: _as_kind(answer, k) for k in kinds}
        if kinds and all(v is None for v in candidates.values()):
            return False, "answer is not " + " or ".join(sorted(k.value for k in kinds))
        return any(candidates[i.kind] == i.value for i in node.items), shown
    if isinstance(node, _Contains):
        if not isinstance(answer, tuple | list | set | frozenset):
            return False, "answer is not a list of choices"
        return any(isinstance(c, str) and c == node.item for c in answer), shown
    if isinstance(node, _Truthy):
        if not isinstance(answer, bool):
            return False, "answer is not true or false"
        return answer, shown
    if isinstance(answer, str | tuple | list | set | frozenset) and not answer:
        return False, "answer is empty"
    return True, "answered"


def _as_kind(answer: object, kind: _Kind) -> str | Decimal | bool | datetime.date | None:
    if kind is _Kind.BOOLEAN:
        return answer if isinstance(answer, bool) else None
    if kind is _Kind.TEXT:
        return answer if isinstance(answer, str) else None
    if kind is _Kind.DATE:
        if isinstance(answer, datetime.datetime):
            return answer.date()
        return answer if isinstance(answer, datetime.date) else None
    if isinstance(answer, bool) or not isinstance(answer, int | float | Decimal):
        return None
    number = Decimal(str(answer)) if isinstance(answer, float) else Decimal(answer)
    return number if number.is_finite() else None


def _holds(op: str, a: object, b: object) -> bool:
    if op in ("==", "!="):
        return (a == b) is (op == "==")
    x, y = _ordinal(a), _ordinal(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _ordinal(value: object) -> Decimal:
    """Order numbers as themselves and dates by their day number."""
    if isinstance(value, datetime.date):
        return Decimal(value.toordinal())
    return value if isinstance(value, Decimal) else Decimal(0)  # the parser allows no other


def _show(answer: object) -> str:
    if isinstance(answer, bool):
        return _word(answer)
    if isinstance(answer, str):
        return _quote(answer) if len(answer) <= _SHOWN else _quote(answer[:_SHOWN]) + "..."
    if isinstance(answer, int | float | Decimal):
        text = str(Decimal(answer) if isinstance(answer, int) else answer)
        return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
    if isinstance(answer, datetime.date):
        return answer.isoformat()
    if isinstance(answer, tuple | list) and all(isinstance(c, str) for c in answer[:5]):
        more = ", ..." if len(answer) > 5 else ""
        return "[" + ", ".join(_show(c) for c in answer[:5]) + more + "]"
    return f"a {type(answer).__name__}"
