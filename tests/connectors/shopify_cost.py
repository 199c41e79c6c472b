"""What Shopify's Admin GraphQL API charges a query before running it, its *requested* cost, for
the fake Admin API (`conftest.ShopifyAdmin`) to refuse, as Shopify does, a query above 1,000 points.

The rules, as Shopify documents them (no schema needed for the queries Retour sends):

- "GraphQL Admin API rate limits", *Cost calculation*
  (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): every field has a cost,
  by what it returns: a scalar or an enum 0, an object 1; the cost is computed from the fields
  selected, before the query runs, and reported in the answer's `extensions.cost`.
- "Rate Limiting GraphQL APIs by Calculating Query Complexity" (Shopify Engineering,
  https://shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity): static
  analysis before execution; a connection costs two points plus the objects it may return (its
  `first`), each with what is selected in it, so that nested connections multiply; a mutation
  costs ten points.
- Shopify's cost breakdown (`Shopify-GraphQL-Cost-Debug: 1`, quoted in Shopify/shopify-api-js
  #602): `customers(first: 10) { nodes { … scalars } }` costs 12 — each node an object (1),
  times 10, plus 2.
- Shopify's refusal, as public clients quote it: HTTP 200, `errors: [{"message": "Query cost is
  N, which exceeds the single query max cost limit (1000).…", "extensions": {"code":
  "MAX_COST_EXCEEDED", "cost": N, "maxCost": 1000}}]`, nothing run.

So, here:

- a field without a selection (scalar, enum): 0;
- a field with a selection: an object, 1 plus its selection (a mutation's field: 10 plus it);
- a connection (a selection holding `nodes` or `edges`): 2 + `first` (or `last`) × one item,
  a node being an object (1) with its selection — `edges { node }` costs the same —, plus its
  other fields once (`pageInfo`, an object: 1, our reading: it may overprice by a point); without
  `first` or `last`, Shopify refuses it;
- a plain list of objects (`Order.fulfillments`, `Order.transactions`): what static analysis can
  see, one object with its selection (our reading), times its `first` when given.

Fragments, interfaces and unions are not priced (Retour's queries use none): they raise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2
ITEMS = ("nodes", "edges")

_TOKEN = re.compile(
    r'(?P<skip>[\s,]+|#[^\n]*)|(?P<token>"(?:[^"\\]|\\.)*"|\.\.\.|[{}()\[\]:!$@=]'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z][_0-9A-Za-z]*)"
)


class Unpriceable(ValueError):
    """A query this calculator cannot price (or Shopify would refuse before pricing it)."""


@dataclass
class Field:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    selection: list[Field] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise Unpriceable(f"cannot read the query at {text[position : position + 20]!r}")
        if match["token"]:
            tokens.append(match["token"])
        position = match.end()
    return tokens


class _Parser:
    """Just enough of GraphQL's grammar: one operation, its fields, arguments and directives."""

    def __init__(self, text: str, variables: Mapping[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.variables = variables

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str = "") -> str:
        token = self.peek()
        if not token or (expected and token != expected):
            raise Unpriceable(f"expected {expected or 'more'}, found {token or 'the end'}")
        self.at += 1
        return token

    def operation(self) -> tuple[str, list[Field]]:
        kind = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            kind = self.take()
            if self.peek() not in ("(", "{", "@"):
                self.take()  # its name
            if self.peek() == "(":
                self.skip_balanced("(", ")")  # variable definitions
        self.directives()
        return kind, self.selection()

    def skip_balanced(self, opening: str, closing: str) -> None:
        depth = 0
        while True:
            token = self.take()
            depth += (token == opening) - (token == closing)
            if depth == 0:
                return

    def selection(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise Unpriceable("fragments are not priced here")
            name = self.take()
            if self.peek() == ":":  # an alias
                self.take()
                name = self.take()
            args = self.arguments() if self.peek() == "(" else {}
            self.directives()
            inner = self.selection() if self.peek() == "{" else []
            fields.append(Field(name, args, inner))
        self.take("}")
        return fields

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args = {}
        while self.peek() != ")":
            name = self.take()
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def directives(self) -> None:
        while self.peek() == "@":
            self.take()
            self.take()
            if self.peek() == "(":
                self.arguments()

    def value(self) -> Any:
        token = self.take()
        if token == "$":
            return self.variables.get(self.take())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            fields = {}
            while self.peek() != "}":
                name = self.take()
                self.take(":")
                fields[name] = self.value()
            self.take("}")
            return fields
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        return token  # a string, a float, an enum, true/false/null: never a size


def _size(item: Field) -> int | None:
    size = item.args.get("first", item.args.get("last"))
    if size is not None and not isinstance(size, int):
        raise Unpriceable(f"{item.name}: first/last must be a number, not {size!r}")
    return size


def _field_cost(item: Field, own: int = 1) -> int:
    if not item.selection:
        return 0
    size = _size(item)
    if any(child.name in ITEMS for child in item.selection):
        if size is None:
            raise Unpriceable(f"{item.name}: you must provide one of first or last")
        per_item = sum(
            # a node is an object; an edge's own cost is its `node`'s
            _field_cost(child) if child.name == "nodes" else _selection_cost(child.selection)
            for child in item.selection
            if child.name in ITEMS
        )
        others = [child for child in item.selection if child.name not in ITEMS]
        return CONNECTION_COST + size * per_item + _selection_cost(others)
    return (1 if size is None else size) * (own + _selection_cost(item.selection))


def _selection_cost(fields: list[Field]) -> int:
    return sum(_field_cost(item) for item in fields)


def requested_cost(query: str, variables: Mapping[str, Any] | None = None) -> int:
    """The points Shopify asks for `query` with `variables` before running it."""
    kind, fields = _Parser(query, variables or {}).operation()
    own = MUTATION_COST if kind == "mutation" else 1
    return sum(_field_cost(item, own) for item in fields)


def refusal(cost: int, limit: int = MAX_COST) -> dict[str, Any]:
    """Shopify's answer (HTTP 200) to a query requesting more than `limit` points."""
    return {
        "errors": [
            {
                "message": f"Query cost is {cost}, which exceeds the single query max cost limit "
                f"({limit}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for "
                "more information on how the\ncost of a query is calculated.\n\nTo query larger "
                "amounts of data with fewer limits, bulk operations should be used instead.\n"
                "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for "
                "usage details.\n",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": limit},
            }
        ]
    }
