"""REG/REMOVE bookkeeping for the simulator's WebSocket (docs/protocol.md, WebSocket). Pure, no I/O.

A connection registers (type, item) pairs per `grp_no`; every item x every type of a `data`
element is one pair. Account types 00/04 need no item: their item is always stored as "".
"""

from __future__ import annotations

from typing import Any, Hashable

ACCOUNT_TYPES = frozenset({"00", "04"})

Pair = tuple[str, str]  # (real-time type, item)


class RegError(ValueError):
    """A REG/REMOVE request the server answers with return_code 1."""


def parse_pairs(data: Any) -> list[Pair]:
    """Return the (type, item) pairs of a REG/REMOVE `data` list; RegError when malformed.

    Accepts `"item": [""]` and `"item": []` for the account types 00/04 (both reported
    to work). unverified: the broker's answer to a malformed list or a missing item.
    """
    if not isinstance(data, list) or not data:
        raise RegError("data 항목이 없습니다")
    pairs: list[Pair] = []
    for element in data:
        pairs.extend(_element_pairs(element))
    return pairs


def _element_pairs(element: Any) -> list[Pair]:
    """Return the pairs of one `data` element: every type x every item."""
    if not isinstance(element, dict):
        raise RegError("data 형식 오류")
    types = element.get("type")
    items = element.get("item", [])
    if not isinstance(types, list) or not types or not isinstance(items, list):
        raise RegError("type/item 형식 오류")
    pairs: list[Pair] = []
    for rt in types:
        pairs.extend(_type_pairs(rt, items))
    return pairs


def _type_pairs(rt: Any, items: list[Any]) -> list[Pair]:
    """Return the pairs of one real-time type; account types take no item."""
    if not isinstance(rt, str) or len(rt) != 2:
        raise RegError(f"실시간 항목 오류 (type={rt!r})")
    if rt in ACCOUNT_TYPES:
        return [(rt, "")]
    codes = [i for i in items if i != ""]
    if not codes:
        raise RegError(f"종목코드 누락 (type={rt})")
    for item in codes:
        if not isinstance(item, str):
            raise RegError(f"종목코드 형식 오류 ({item!r})")
    return [(rt, item) for item in codes]


class Registrations:
    """One connection's registrations: grp_no -> set of (type, item) pairs."""

    __slots__ = ("groups", "limit")

    def __init__(self, limit: int) -> None:
        self.groups: dict[str, set[Pair]] = {}
        self.limit = limit

    def register(self, grp_no: str, pairs: list[Pair], keep_earlier: bool) -> None:
        """Add pairs to a group (`refresh` "1" keeps earlier ones, "0" replaces them).

        Raises RegError("등록 종목수 초과") and changes nothing when the connection would hold more
        than `limit` distinct items (unverified: no REST document gives the broker's cap, docs/protocol.md, WebSocket).
        """
        new_group = set(self.groups.get(grp_no, ())) if keep_earlier else set()
        new_group.update(pairs)
        others = (p for g, s in self.groups.items() if g != grp_no for p in s)
        items = {item for _, item in others if item} | {item for _, item in new_group if item}
        if len(items) > self.limit:
            raise RegError("등록 종목수 초과")
        self.groups[grp_no] = new_group

    def remove(self, grp_no: str, pairs: list[Pair]) -> None:
        """Drop pairs from a group; unknown groups and pairs are ignored (idempotent)."""
        group = self.groups.get(grp_no)
        if group is None:
            return
        group.difference_update(pairs)
        if not group:
            del self.groups[grp_no]

    def items_of(self, rt: str) -> set[str]:
        """Return every item registered for a real-time type, across groups."""
        return {item for s in self.groups.values() for t, item in s if t == rt}

    def types(self) -> set[str]:
        """Return every real-time type registered, across groups."""
        return {t for s in self.groups.values() for t, _ in s}


class Index:
    """key -> set of subscribers, kept in step with each subscriber's own key set."""

    __slots__ = ("subs",)

    def __init__(self) -> None:
        self.subs: dict[str, set[Hashable]] = {}

    def get(self, key: str) -> set[Hashable] | None:
        """Return the subscribers of a key (None when there are none)."""
        return self.subs.get(key)

    def update(self, who: Hashable, old: set[str], new: set[str]) -> None:
        """Move `who` from the keys in `old` to the keys in `new`."""
        for key in old - new:
            self.discard(who, key)
        for key in new - old:
            self.subs.setdefault(key, set()).add(who)

    def discard(self, who: Hashable, key: str) -> None:
        """Remove one subscription."""
        subs = self.subs.get(key)
        if subs is not None:
            subs.discard(who)
            if not subs:
                del self.subs[key]
