"""Shopify's search syntax, the part the sandbox serves: `name:value` terms with `:>`, `:>=`, `:<`, `:<=`,
quoted values, `-` or NOT to negate, joined by AND (or a space) and OR; text matches ignore case, dates
compare as instants (a bare date is midnight UTC), ids as numbers.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

SearchValue = str | int | datetime | None
# Each searchable name gives the values of an object it compares with (a product has many SKUs).
Fields = Mapping[str, Callable[[Any], Iterable[SearchValue]]]

_TERM = re.compile(r'(?:[^\s"\']|"[^"]*"|\'[^\']*\')+')
_COMPARATORS = (">=", "<=", ">", "<")


class UnsupportedSearch(Exception):
    """A term the sandbox cannot match: its name is unknown here, or it has no name (free text)."""


@dataclass(frozen=True)
class Term:
    name: str
    comparator: str
    value: str
    negated: bool


class SearchQuery:
    def __init__(self, query: str, fields: Fields) -> None:
        self._fields = fields
        self._alternatives: list[list[Term]] = [[]]
        negate_next = False
        for word in _TERM.findall(query):
            if word == "OR":
                self._alternatives.append([])
            elif word == "NOT":
                negate_next = True
            elif word != "AND":
                self._alternatives[-1].append(self._term(word, negate_next))
                negate_next = False
        self._alternatives = [terms for terms in self._alternatives if terms]

    def _term(self, token: str, negated: bool) -> Term:
        if token.startswith("-"):
            negated, token = True, token[1:]
        name, colon, rest = token.partition(":")
        if not colon or name not in self._fields:
            raise UnsupportedSearch(token)
        comparator = next((c for c in _COMPARATORS if rest.startswith(c)), "=")
        value = rest.removeprefix(comparator) if comparator != "=" else rest
        return Term(name=name, comparator=comparator, value=value.strip("\"'"), negated=negated)

    def matches(self, item: object) -> bool:
        if not self._alternatives:
            return True
        return any(all(self._holds(term, item) for term in terms) for terms in self._alternatives)

    def _holds(self, term: Term, item: object) -> bool:
        found = any(_compare(value, term.comparator, term.value) for value in self._fields[term.name](item))
        return found != term.negated


def _compare(value: SearchValue, comparator: str, wanted: str) -> bool:
    if isinstance(value, datetime):
        if comparator == "=" and len(wanted) == 10:  # a bare date means that whole day
            return value.astimezone(UTC).date() == _instant(wanted).date()
        return _ordered(value, comparator, _instant(wanted))
    if isinstance(value, int):
        return _ordered(value, comparator, int(wanted)) if wanted.lstrip("-").isdigit() else False
    text = (value or "").casefold()
    return _ordered(text, comparator, wanted.casefold())


def _ordered[T: (str, int, datetime)](value: T, comparator: str, wanted: T) -> bool:
    match comparator:
        case ">=":
            return value >= wanted
        case "<=":
            return value <= wanted
        case ">":
            return value > wanted
        case "<":
            return value < wanted
        case _:
            return value == wanted


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UnsupportedSearch(text) from None
    if len(text) == 10:  # a bare date
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
