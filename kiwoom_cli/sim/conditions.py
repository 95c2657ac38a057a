"""Named condition searches (조건검색) evaluated after every trade of a stock.

Each condition has an entry test and a (looser) stay test, so a stock does not flap in and out on
every tick. Tests look at recent movement (the last 30-60 s of trades), not only the day's change,
so stocks enter and leave within a minute of a lively market (docs/decisions.md §4).
Entries forced through the control surface are pinned: evaluation leaves them until forced out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiwoom_cli.sim.domain import ConditionDef
from kiwoom_cli.sim.quotes import StockState

Test = Callable[[StockState], bool]


# --------------------------------------------------------------------------- measures


def change_pct_over(stock: StockState, seconds: float) -> float:
    """% change from the oldest trade within the last `seconds` to the last trade."""
    if not stock.recent:
        return 0.0
    now = stock.recent[-1].t
    ref = stock.recent[-1].price
    for trade in stock.recent:
        if trade.t >= now - seconds:
            ref = trade.price
            break
    return (stock.price - ref) / ref * 100


def high_over(stock: StockState, seconds: float) -> int:
    """Highest trade price within the last `seconds`."""
    if not stock.recent:
        return stock.price
    now = stock.recent[-1].t
    return max(t.price for t in stock.recent if t.t >= now - seconds)


def day_change_pct(stock: StockState) -> float:
    return (stock.price - stock.base_price) / stock.base_price * 100


def volume_surge(stock: StockState, last_n: int = 5) -> float:
    """Volume of the last n trades relative to the window's average n-trade volume (0 if too few)."""
    trades = list(stock.recent)
    if len(trades) < 3 * last_n:
        return 0.0
    avg = sum(abs(t.qty) for t in trades) / len(trades) * last_n
    recent = sum(abs(t.qty) for t in trades[-last_n:])
    return recent / avg if avg else 0.0


def last_was_uptick(stock: StockState) -> bool:
    if len(stock.recent) < 2:
        return False
    return stock.recent[-1].price > stock.recent[-2].price


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True, slots=True)
class ConditionRule:
    definition: ConditionDef
    enter: Test
    stay: Test


def _rule(seq: str, name: str, purpose: str, enter: Test, stay: Test) -> ConditionRule:
    return ConditionRule(ConditionDef(seq=seq, name=name, purpose=purpose), enter, stay)


RULES: tuple[ConditionRule, ...] = (
    _rule(
        "0",
        "급등주 포착",
        "Momentum buy: up >= 1.0 % over the last 30 s and up on the day; leaves below +0.3 %.",
        lambda s: change_pct_over(s, 30) >= 1.0 and day_change_pct(s) > 0,
        lambda s: change_pct_over(s, 30) >= 0.3,
    ),
    _rule(
        "1",
        "거래량 급증",
        "Volume surge: the last 5 trades traded >= 3x the recent average; leaves below 1.5x.",
        lambda s: volume_surge(s) >= 3.0,
        lambda s: volume_surge(s) >= 1.5,
    ),
    _rule(
        "2",
        "단기 과열(매도)",
        "Overheated, sell signal: up >= 2.0 % over the last 60 s; leaves below +1.0 %.",
        lambda s: change_pct_over(s, 60) >= 2.0,
        lambda s: change_pct_over(s, 60) >= 1.0,
    ),
    _rule(
        "3",
        "눌림목 반등",
        "Pullback rebound: up >= 2 % on the day, >= 1 % below the 60 s high, last trade an uptick.",
        lambda s: day_change_pct(s) >= 2.0 and s.price <= high_over(s, 60) * 0.99 and last_was_uptick(s),
        lambda s: day_change_pct(s) >= 1.0 and s.price < high_over(s, 60) * 0.997,
    ),
    _rule(
        "4",
        "상한가 근접",
        "Near the upper limit: price within 5 % of the daily upper limit; leaves beyond 7 %.",
        lambda s: s.price >= s.limits.upper * 0.95,
        lambda s: s.price >= s.limits.upper * 0.93,
    ),
    _rule(
        "5",
        "급락주 포착",
        "Sharp drop: down >= 1.0 % over the last 30 s; leaves above -0.3 %.",
        lambda s: change_pct_over(s, 30) <= -1.0,
        lambda s: change_pct_over(s, 30) <= -0.3,
    ),
)

BY_SEQ: dict[str, ConditionRule] = {r.definition.seq: r for r in RULES}


@dataclass
class ConditionBook:
    """Which codes currently match each condition (insertion-ordered), and which are pinned."""

    members: dict[str, dict[str, None]] = field(default_factory=lambda: {seq: {} for seq in BY_SEQ})
    pinned: dict[str, dict[str, None]] = field(default_factory=lambda: {seq: {} for seq in BY_SEQ})

    def definitions(self) -> list[ConditionDef]:
        return [r.definition for r in RULES]

    def matches(self, seq: str) -> list[str]:
        return list(self.members[seq])

    def evaluate(self, stock: StockState) -> list[tuple[str, str]]:
        """Re-test one stock against every condition; return the (seq, "I"|"D") changes."""
        changes: list[tuple[str, str]] = []
        code = stock.code
        for rule in RULES:
            seq = rule.definition.seq
            if code in self.pinned[seq]:
                continue
            inside = code in self.members[seq]
            if inside and not rule.stay(stock):
                del self.members[seq][code]
                changes.append((seq, "D"))
            elif not inside and rule.enter(stock):
                self.members[seq][code] = None
                changes.append((seq, "I"))
        return changes

    def force(self, seq: str, code: str, event: str) -> None:
        """Force an entry (pinned) or an exit."""
        if event == "I":
            self.members[seq][code] = None
            self.pinned[seq][code] = None
        else:
            self.members[seq].pop(code, None)
            self.pinned[seq].pop(code, None)

    def clear(self) -> None:
        for seq in BY_SEQ:
            self.members[seq].clear()
            self.pinned[seq].clear()

    def to_dict(self) -> dict:
        return {
            "members": {s: list(m) for s, m in self.members.items()},
            "pinned": {s: list(m) for s, m in self.pinned.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> ConditionBook:
        book = cls()
        for key, target in (("members", book.members), ("pinned", book.pinned)):
            for seq, codes in data.get(key, {}).items():
                if seq in target:
                    target[seq].update(dict.fromkeys(codes))
        return book
