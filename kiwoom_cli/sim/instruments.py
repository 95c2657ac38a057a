"""The simulated market's listed stocks: real KRX codes and the names the broker shows.

Base prices are plausible prior closes (late 2025), placed on the KRX tick grid, and span every
tick band from 1 won (< 2,000) to 1,000 won (>= 500,000). They are a starting point, not data:
a persisted simulator carries its own closes forward day to day.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiwoom_cli import market
from kiwoom_cli.sim.domain import Market


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    code: str
    name: str
    market: Market
    base_price: int  # prior close on the tick grid
    prev_volume: int  # prior day's volume, shares
    volatility: float  # std-dev of one simulated trade's move, as a fraction (0.002 = 0.2 %)
    weight: float = 1.0  # relative share of the market's trades


_K, _Q = "KOSPI", "KOSDAQ"

# code, name, market, base price, prior-day volume, per-trade volatility, trade weight
_TABLE: tuple[tuple[str, str, Market, int, int, float, float], ...] = (
    ("005930", "삼성전자", _K, 97_500, 18_500_000, 0.0018, 2.0),
    ("000660", "SK하이닉스", _K, 571_000, 3_900_000, 0.0024, 1.6),
    ("035420", "NAVER", _K, 251_500, 820_000, 0.0022, 1.0),
    ("035720", "카카오", _K, 58_300, 2_600_000, 0.0024, 1.2),
    ("005380", "현대차", _K, 254_000, 880_000, 0.0020, 1.0),
    ("051910", "LG화학", _K, 353_500, 410_000, 0.0026, 0.9),
    ("006400", "삼성SDI", _K, 281_000, 560_000, 0.0028, 1.0),
    ("068270", "셀트리온", _K, 183_400, 760_000, 0.0022, 1.0),
    ("207940", "삼성바이오로직스", _K, 1_613_000, 95_000, 0.0018, 0.7),
    ("105560", "KB금융", _K, 116_800, 1_300_000, 0.0018, 0.9),
    ("055550", "신한지주", _K, 70_400, 1_500_000, 0.0018, 0.9),
    ("012330", "현대모비스", _K, 291_500, 240_000, 0.0018, 0.7),
    ("028260", "삼성물산", _K, 232_000, 420_000, 0.0020, 0.7),
    ("066570", "LG전자", _K, 84_900, 990_000, 0.0022, 0.9),
    ("003550", "LG", _K, 79_800, 310_000, 0.0018, 0.6),
    ("017670", "SK텔레콤", _K, 53_200, 620_000, 0.0014, 0.6),
    ("096770", "SK이노베이션", _K, 110_300, 540_000, 0.0026, 0.8),
    ("034730", "SK", _K, 248_500, 190_000, 0.0022, 0.6),
    ("015760", "한국전력", _K, 45_650, 3_100_000, 0.0020, 1.0),
    ("032830", "삼성생명", _K, 151_200, 260_000, 0.0018, 0.6),
    ("009150", "삼성전기", _K, 229_500, 700_000, 0.0028, 0.9),
    ("010950", "S-Oil", _K, 70_100, 420_000, 0.0022, 0.6),
    ("018260", "삼성에스디에스", _K, 162_300, 210_000, 0.0018, 0.5),
    ("011200", "HMM", _K, 21_350, 2_800_000, 0.0024, 1.0),
    ("086790", "하나금융지주", _K, 85_700, 1_200_000, 0.0018, 0.8),
    ("000270", "기아", _K, 110_900, 1_400_000, 0.0018, 0.9),
    ("088350", "한화생명", _K, 3_215, 2_900_000, 0.0030, 0.8),
    ("047040", "대우건설", _K, 3_840, 3_400_000, 0.0030, 0.8),
    ("011930", "신성이엔지", _K, 1_642, 4_100_000, 0.0034, 0.8),
    ("002630", "오리엔트바이오", _K, 813, 6_200_000, 0.0040, 0.8),
    ("247540", "에코프로비엠", _Q, 171_600, 980_000, 0.0032, 1.2),
    ("086520", "에코프로", _Q, 90_700, 1_700_000, 0.0034, 1.2),
    ("028300", "HLB", _Q, 46_250, 1_900_000, 0.0034, 1.0),
    ("293490", "카카오게임즈", _Q, 16_980, 820_000, 0.0028, 0.8),
    ("263750", "펄어비스", _Q, 34_700, 520_000, 0.0030, 0.8),
    ("041510", "에스엠", _Q, 109_600, 300_000, 0.0026, 0.7),
    ("035900", "JYP Ent.", _Q, 66_300, 420_000, 0.0026, 0.7),
    ("196170", "알테오젠", _Q, 463_500, 480_000, 0.0030, 1.0),
    ("058470", "리노공업", _Q, 39_850, 160_000, 0.0024, 0.5),
    ("032820", "우리기술", _Q, 2_745, 5_300_000, 0.0036, 0.9),
)

INSTRUMENTS: tuple[InstrumentSpec, ...] = tuple(InstrumentSpec(*row) for row in _TABLE)
BY_CODE: dict[str, InstrumentSpec] = {spec.code: spec for spec in INSTRUMENTS}


def spec_for(code: str) -> InstrumentSpec | None:
    """Return the listed stock with this 6-digit code, or None."""
    return BY_CODE.get(code)


def _check_table() -> None:
    """Fail at import if the table is malformed (a typo here would corrupt every test)."""
    if len(BY_CODE) != len(INSTRUMENTS):
        raise ValueError("duplicate instrument code")
    for spec in INSTRUMENTS:
        if len(spec.code) != 6 or not spec.code.isdigit():
            raise ValueError(f"bad code {spec.code!r}")
        if not market.is_on_tick(spec.base_price):
            raise ValueError(f"{spec.code} base price {spec.base_price} is off the tick grid")


_check_table()

# Stocks the simulator does not trade on NXT (ka10100 nxtEnable "N"): Nextrade lists only part of
# the market. Which real stocks it lists changes over time; these two are the simulator's choice.
NOT_ON_NXT: frozenset[str] = frozenset({"011930", "002630"})
