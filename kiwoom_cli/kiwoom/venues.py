"""Prices on the venue a run trades, and one account view from kt00018 answers asked per venue.

Quote TRs (ka10001, ka10007, ka10095) and REG 0B take a venue's code: the bare code for KRX,
CODE_NX for NXT, CODE_AL for SOR (the integrated KRX+NXT price), as Kiwoom's specification
describes their stk_cd / item. Answers and REAL frames may carry the suffix back; the parsers keep
the bare code (codec.split_code), so the core never sees a suffix.

kt00018 takes dmst_stex_tp KRX or NXT and has no "all venues" value. Whether the broker splits
holdings by the venue they were bought on, or shows the whole account priced at that venue, is
unverified. Both readings are covered without double-counting: a stock in one answer only is
taken from it; a stock in both with the same quantity is the same holding, taken once from the
preferred venue's answer; the same stock with different quantities cannot be told apart, so it is
an error (never a guess).
"""

from __future__ import annotations

from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import Balance

PRICE_SUFFIX = {"KRX": "", "NXT": "_NX", "SOR": "_AL"}


def price_code(code: str, exchange: str) -> str:
    """The code whose prices `exchange` quotes and pushes ("005930", "NXT" -> "005930_NX")."""
    return code + PRICE_SUFFIX[exchange]


def merge_balances(preferred: Balance, other: Balance, names: tuple[str, str]) -> Balance:
    """Merge two venues' balances by stock code; the totals are the preferred venue's."""
    mine = {h.code: h for h in preferred.holdings}
    merged = list(preferred.holdings)
    for h in other.holdings:
        seen = mine.get(h.code)
        if seen is None:
            merged.append(h)
        elif seen.qty != h.qty:
            raise ProtocolError(
                f"kt00018: the {names[0]} and {names[1]} answers disagree on {h.code} "
                f"({seen.qty:,} vs {h.qty:,} shares); cannot tell one holding from two", api_id="kt00018")
    return Balance(totals=preferred.totals, holdings=tuple(merged))
