"""The simulated exchange: the one object the simulator's server talks to.

Pure domain, called only from the simulator's loop thread. Wires the listed stocks (quotes), the
seeded random walk (pricegen), the order desk (desk + matching + accounts), tokens and conditions,
and publishes events in order: TradePrint, then the OrderUpdate/PositionUpdate it caused, then
ConditionChange.

Sessions: with config.always_open (the default) trading is continuous at any hour. Otherwise
market.SessionHours (config.extra["hours"], default KRX) decides: orders before the opening
auction are rejected (RC4057), after the close (RC4058). During the opening and closing auctions
orders are accepted and treated as in continuous trading (no single-price auction is simulated),
and the random walk keeps trading; it stops while the market is closed.

Venues (dmst_stex_tp): KRX follows the phases above. NXT (Nextrade) trades market.NXT_HOURS
(pre-market 08:00-08:50, main 09:00-15:20, after-market 15:30-20:00: press figures, unverified)
and only the stocks not in NOT_ON_NXT; outside KRX's regular session (09:00-15:30) it refuses
market orders, as NXT's extra sessions are reported to (unverified). SOR is open when KRX or NXT
is and takes market orders as NXT does. While only NXT trades, only NXT stocks random-walk. The
book is one book per stock whatever the venue (the simulator does not split liquidity), so every
venue's feed shows the same price: trades are pushed to 0B items CODE while KRX trades, CODE_NX
while NXT trades the stock and CODE_AL while either does (feeds).

config.extra keys read here: "hours" (market.SessionHours), "commission" (float per side),
"sell_tax_by_year" ({year: rate}).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from kiwoom_cli import market
from kiwoom_cli.clock import Clock
from kiwoom_cli.paths import write_private
from kiwoom_cli.sim.accounts import Account
from kiwoom_cli.sim.conditions import BY_SEQ, ConditionBook
from kiwoom_cli.sim.desk import UNKNOWN_CODE, OrderDesk
from kiwoom_cli.sim.domain import (
    AccountView,
    ConditionChange,
    ConditionDef,
    FillView,
    InstrumentView,
    OrderView,
    SimAuthError,
    SimConfig,
    SimEvent,
    SimInputError,
    SimRejection,
    TradePrint,
)
from kiwoom_cli.sim.instruments import BY_CODE, INSTRUMENTS, NOT_ON_NXT
from kiwoom_cli.sim.orders import Numbers
from kiwoom_cli.sim.pricegen import PriceGen
from kiwoom_cli.sim.quotes import StockState
from kiwoom_cli.sim.tokens import TokenStore

STATE_VERSION = 1
MARKET_CLOSED_BEFORE = ("RC4057", "모의투자 장시작전")
MARKET_CLOSED_AFTER = ("RC4058", "모의투자 장종료")
# Codes and wording below are the simulator's own (Kiwoom documents neither): unverified.
NXT_NO_MARKET = ("RC4088", "NXT 프리마켓/애프터마켓에서는 시장가 주문을 할 수 없습니다.")
NOT_ON_NXT_STOCK = ("RC4089", "NXT 거래 대상 종목이 아닙니다.")
WRONG_VENUE = ("RC4031", "모의투자 정정/취소할 주문이 없습니다.")  # the venue's book has no such order
VENUES = ("KRX", "NXT", "SOR")


def _noop(event: SimEvent) -> None:
    pass


class Exchange:
    def __init__(self, config: SimConfig, clock: Clock, publish: Callable[[SimEvent], None] = _noop) -> None:
        self.config = config
        self.clock = clock
        self.publish = publish
        self.hours: market.SessionHours = config.extra.get("hours") or market.KRX_HOURS
        self._stocks: dict[str, StockState] = {spec.code: StockState.fresh(spec) for spec in INSTRUMENTS}
        self._gen = PriceGen(config.seed)
        self._accounts: dict[str, Account] = {}
        self._tokens = TokenStore()
        self._numbers = Numbers()
        self._conditions = ConditionBook()
        self._day = clock.now().date()
        self._desk = OrderDesk(self._stocks, self._numbers, clock.now, self.costs, self._publish)

    def __repr__(self) -> str:
        return f"Exchange({len(self._stocks)} stocks, {len(self._accounts)} accounts)"

    def _publish(self, event: SimEvent) -> None:
        self.publish(event)

    def costs(self) -> market.CostRates:
        """Return the commission and sell-tax rates in force today."""
        extra = self.config.extra
        return market.CostRates.for_date(
            self.clock.now().date(),
            commission=extra.get("commission"),
            overrides=extra.get("sell_tax_by_year"),
        )

    def _sync_day(self) -> None:
        """Start a new trading day when the clock has crossed midnight (KST)."""
        today = self.clock.now().date()
        if today == self._day:
            return
        self._day = today
        for stock in self._stocks.values():
            stock.roll_day()
        for acct in self._accounts.values():
            acct.new_day()
        self._conditions.clear()

    # ------------------------------------------------------------------ auth

    def issue_token(self, appkey: str, secretkey: str) -> tuple[str, dt.datetime]:
        """Log an app key in: return (token, expires_at KST); the key's earlier token is revoked."""
        if not appkey or not secretkey:
            raise SimAuthError("8020", "입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.")
        if self.config.fixed_keys is not None and (appkey, secretkey) != tuple(self.config.fixed_keys):
            raise SimAuthError("8001", "App Key와 Secret Key 검증에 실패했습니다")
        self._account(appkey)
        return self._tokens.issue(appkey, self.clock.now(), self.config.token_lifetime_s)

    def revoke_token(self, appkey: str, secretkey: str, token: str) -> None:
        """Revoke a token issued to this app key (unknown -> SimAuthError 8015)."""
        self._tokens.revoke(appkey, token)

    def app_key_for_token(self, token: str) -> str:
        """Return the app key a live token belongs to (else SimAuthError 8005)."""
        return self._tokens.app_key(token, self.clock.now())

    def account_for_token(self, token: str) -> AccountView:
        """Return the account of a live token (else SimAuthError 8005)."""
        return self.account(self.app_key_for_token(token))

    def expire_all_tokens(self) -> None:
        """Invalidate every token (fault "expire_token")."""
        self._tokens.expire_all()

    def _account(self, app_key: str) -> Account:
        acct = self._accounts.get(app_key)
        if acct is None:
            acct = self._accounts[app_key] = Account.open(app_key, self.config.cash)
        return acct

    # ------------------------------------------------------------------ market

    def _stock(self, code: str) -> StockState:
        stock = self._stocks.get(code)
        if stock is None:
            raise SimInputError(*UNKNOWN_CODE)
        return stock

    def instrument(self, code: str) -> InstrumentView:
        """Return one stock's quote (unknown code -> SimInputError 1902)."""
        self._sync_day()
        return self._stock(code).view()

    def instruments(self) -> list[InstrumentView]:
        """Return every listed stock's quote, in listing order."""
        self._sync_day()
        return [s.view() for s in self._stocks.values()]

    def phase(self) -> market.Phase:
        """Return the session phase now (always continuous with config.always_open)."""
        if self.config.always_open:
            return market.Phase.CONTINUOUS
        return self.hours.phase(self.clock.now().time())

    def is_open(self) -> bool:
        """Tell whether continuous trading is on now."""
        return self.phase() is market.Phase.CONTINUOUS

    def _trading(self) -> bool:
        return self.phase() not in (market.Phase.CLOSED_BEFORE, market.Phase.CLOSED_AFTER)

    def _nxt_open(self) -> bool:
        return self.config.always_open or market.NXT_HOURS.is_open(self.clock.now().time())

    def feeds(self, code: str) -> tuple[str, ...]:
        """The 0B items a trade of `code` is pushed on now, as suffixes of the code: "" (KRX) while
        KRX trades, "_NX" while NXT trades it, "_AL" (integrated) while either does. One book and
        one price per stock whatever the venue."""
        krx = self._trading()
        nxt = code not in NOT_ON_NXT and self._nxt_open()
        return tuple(suffix for suffix, on in (("", krx), ("_NX", nxt), ("_AL", krx or nxt)) if on)

    def nxt_enabled(self, code: str) -> bool:
        """Tell whether a listed stock trades on NXT (ka10100 nxtEnable)."""
        self._stock(code)
        return code not in NOT_ON_NXT

    def set_price(self, code: str, price: int) -> TradePrint:
        """Make a trade at `price` (control surface); it must be on the grid and inside the limits."""
        self._sync_day()
        stock = self._stock(code)
        reason = stock.check_price(price) if isinstance(price, int) else f"{price!r} is not an integer"
        if reason:
            raise SimInputError("1517", f"입력 값 형식이 올바르지 않습니다. 파라미터=price 실패사유={reason}")
        size = max(1, stock.prev_volume // 12_000)
        return self._trade(stock, price, -size if price < stock.price else size)

    def step(self, n: int = 1) -> None:
        """Random-walk n trades across the market (no-op when static or the market is closed)."""
        if self.config.static:
            return
        self._sync_day()
        if self._trading():
            stocks = list(self._stocks.values())
        elif self._nxt_open():  # NXT's pre- and after-market: its stocks only
            stocks = [s for s in self._stocks.values() if s.code not in NOT_ON_NXT]
        else:
            return
        for _ in range(n):
            trade = self._gen.next_trade(stocks)
            self._trade(self._stocks[trade.code], trade.price, trade.qty)

    def _trade(self, stock: StockState, price: int, qty: int) -> TradePrint:
        now = self.clock.now()
        stock.record(price, qty, now)
        print_ = TradePrint(code=stock.code, price=price, qty=qty, time=now, instrument=stock.view())
        self.publish(print_)
        self._desk.on_trade(list(self._accounts.values()), stock, qty)
        for seq, event in self._conditions.evaluate(stock):
            self.publish(ConditionChange(seq=seq, code=stock.code, event=event, time=now))  # type: ignore[arg-type]
        return print_

    # ------------------------------------------------------------------ orders

    def _route(self, venue: str, code: str) -> str:
        """The venue whose hours an order meets: NXT, or KRX (SOR goes to NXT only while KRX is shut)."""
        if venue not in VENUES:
            raise SimInputError("1517", f"입력 값 형식이 올바르지 않습니다. 파라미터=dmst_stex_tp 실패사유={venue!r}")
        if venue == "NXT" and code in NOT_ON_NXT:
            raise SimRejection(*NOT_ON_NXT_STOCK)
        if venue == "NXT" or (venue == "SOR" and code not in NOT_ON_NXT and not self._trading() and self._nxt_open()):
            return "NXT"
        return "KRX"

    def _check_session(self, venue: str = "KRX", code: str = "", market_order: bool = False) -> None:
        if self._route(venue, code) == "NXT":
            now = self.clock.now().time()
            if not self._nxt_open():
                raise SimRejection(*(MARKET_CLOSED_BEFORE if now < dt.time(12) else MARKET_CLOSED_AFTER))
            if market_order and not (self.config.always_open or self.hours.is_regular(now)):
                raise SimRejection(*NXT_NO_MARKET)
            return
        phase = self.phase()
        if phase is market.Phase.CLOSED_BEFORE:
            raise SimRejection(*MARKET_CLOSED_BEFORE)
        if phase is market.Phase.CLOSED_AFTER:
            raise SimRejection(*MARKET_CLOSED_AFTER)

    def place_order(
        self, app_key: str, side: str, code: str, qty: int, price: int | None, trde_tp: str,
        venue: str = "KRX",
    ) -> OrderView:
        """Accept a new order (trde_tp "0" limit, "3" market) and match what is marketable now."""
        self._sync_day()
        self._stock(code)
        self._check_session(venue, code, market_order=trde_tp != "0")
        return self._desk.place(self._account(app_key), side, code, qty, price, trde_tp, venue)

    def _check_venue(self, app_key: str, orig_order_no: str, venue: str) -> None:
        orig = self._account(app_key).orders.get(orig_order_no)
        if orig is not None and orig.venue != venue:
            raise SimRejection(*WRONG_VENUE)

    def amend_order(self, app_key: str, orig_order_no: str, code: str, qty: int, price: int,
                    venue: str = "KRX") -> OrderView:
        """정정: move qty (0 = all remaining) of an open order to a new order number at price."""
        self._sync_day()
        self._stock(code)
        self._check_session(venue, code)
        self._check_venue(app_key, orig_order_no, venue)
        return self._desk.amend(self._account(app_key), orig_order_no, code, qty, price)

    def cancel_order(self, app_key: str, orig_order_no: str, code: str, qty: int,
                     venue: str = "KRX") -> OrderView:
        """취소: cancel qty (0 = all remaining) of an open order under a new order number."""
        self._sync_day()
        self._stock(code)
        self._check_session(venue, code)
        self._check_venue(app_key, orig_order_no, venue)
        return self._desk.cancel(self._account(app_key), orig_order_no, code, qty)

    def open_orders(self, app_key: str) -> list[OrderView]:
        """Return the account's orders with remaining qty, oldest first."""
        self._sync_day()
        return [o.view() for o in self._account(app_key).open_orders()]

    def orders(self, app_key: str) -> list[OrderView]:
        """Return every order of the account today, oldest first."""
        self._sync_day()
        return [o.view() for o in self._account(app_key).orders.values()]

    def fills(self, app_key: str) -> list[FillView]:
        """Return today's fills of the account, newest first."""
        self._sync_day()
        return list(reversed(self._account(app_key).fills))

    def account(self, app_key: str) -> AccountView:
        """Return the account's cash and holdings."""
        self._sync_day()

        def prices(code: str) -> tuple[int, int]:
            stock = self._stocks[code]
            return stock.price, stock.base_price

        return self._account(app_key).view(prices, lambda c: self._stocks[c].limits.upper, self.costs())

    # ------------------------------------------------------------------ conditions

    def conditions(self) -> list[ConditionDef]:
        """Return the named conditions, seq "0".."n"."""
        return self._conditions.definitions()

    def _check_seq(self, seq: str) -> None:
        if seq not in BY_SEQ:
            raise SimInputError(
                "1517", f"입력 값 형식이 올바르지 않습니다. 파라미터=seq 실패사유=unknown condition {seq!r}"
            )

    def condition_matches(self, seq: str) -> list[str]:
        """Return the codes matching a condition now, in order of entry."""
        self._check_seq(seq)
        self._sync_day()
        return self._conditions.matches(seq)

    def push_condition(self, seq: str, code: str, event: str) -> ConditionChange:
        """Force an entry ("I", pinned until forced out) or exit ("D") and publish it."""
        self._check_seq(seq)
        self._stock(code)
        if event not in ("I", "D"):
            raise SimInputError(
                "1517", f"입력 값 형식이 올바르지 않습니다. 파라미터=event 실패사유={event!r} is not I or D"
            )
        self._sync_day()
        self._conditions.force(seq, code, event)
        change = ConditionChange(seq=seq, code=code, event=event, time=self.clock.now())  # type: ignore[arg-type]
        self.publish(change)
        return change

    # ------------------------------------------------------------------ persistence

    def to_state(self) -> dict:
        """Return everything needed to continue this market later, as JSON data."""
        return {
            "version": STATE_VERSION,
            "day": self._day.isoformat(),
            "numbers": {"next_order": self._numbers.next_order, "next_fill": self._numbers.next_fill},
            "stocks": {code: s.to_dict() for code, s in self._stocks.items()},
            "accounts": [a.to_dict() for a in self._accounts.values()],
            "tokens": self._tokens.to_list(),
            "conditions": self._conditions.to_dict(),
            "rng": self._gen.to_state(),
        }

    @classmethod
    def from_state(
        cls, state: dict, config: SimConfig, clock: Clock, publish: Callable[[SimEvent], None] = _noop
    ) -> Exchange:
        """Rebuild an exchange saved by to_state (a new day rolls prices and orders over)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported simulator state version {state.get('version')!r}")
        ex = cls(config, clock, publish)
        for code, data in state.get("stocks", {}).items():
            spec = BY_CODE.get(code)
            if spec is not None:  # a stock delisted from our table is dropped
                ex._stocks[code] = StockState.from_dict(spec, data)
        for data in state.get("accounts", []):
            acct = Account.from_dict(data)
            ex._accounts[acct.app_key] = acct
        ex._tokens = TokenStore.from_list(state.get("tokens", []))
        ex._conditions = ConditionBook.from_dict(state.get("conditions", {}))
        numbers = state.get("numbers", {})
        ex._numbers.next_order = int(numbers.get("next_order", 1))
        ex._numbers.next_fill = int(numbers.get("next_fill", 1))
        ex._gen = PriceGen.from_state(state.get("rng"), config.seed)
        ex._day = dt.date.fromisoformat(state["day"])
        ex._sync_day()
        return ex

    @classmethod
    def open(cls, config: SimConfig, clock: Clock, publish: Callable[[SimEvent], None] = _noop) -> Exchange:
        """Load config.state_path if it exists, else start a fresh market."""
        if config.state_path and Path(config.state_path).exists():
            state = json.loads(Path(config.state_path).read_text(encoding="utf-8"))
            return cls.from_state(state, config, clock, publish)
        return cls(config, clock, publish)

    def save(self) -> None:
        """Write the state to config.state_path (atomic, 0600); no-op when in memory."""
        if self.config.state_path:
            data = json.dumps(self.to_state(), ensure_ascii=False, separators=(",", ":"))
            write_private(Path(self.config.state_path), data.encode("utf-8"))
