"""Hand-built snapshots and run info for the board tests (a real State and the engine's Recent,
frozen by snapshot(), as Engine._publish does)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiwoom_cli.clock import KST
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.facts import Turn
from kiwoom_cli.core.order_states import OrderState
from kiwoom_cli.core.recent import Recent
from kiwoom_cli.core.records import Mark, Order, Position
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.state import State
from kiwoom_cli.models import ConditionEvent, OrderType, Side
from kiwoom_cli.ui.board import BoardView, RunInfo

NOW = dt.datetime(2026, 11, 25, 10, 30, 15, tzinfo=KST)


def info(**kw) -> RunInfo:
    kw.setdefault("settings", RunSettings(buy_cond="1", sell_cond="2"))
    return RunInfo(mode=kw.pop("mode", "mock"), account=kw.pop("account", "81234567"),
                   buy_cond=kw.pop("buy_cond", ("급등주", "1")), sell_cond=kw.pop("sell_cond", ("이탈", "2")),
                   journal_path="/tmp/journal.sqlite3", started_at=NOW - dt.timedelta(minutes=62), **kw)


def state(paused: bool = False) -> State:
    st = State()
    st.cash = 48_000_000
    st.realised = 12_345.0
    st.paused = paused
    st.positions["005930"] = Position("005930", "삼성전자", 14, 14, 71_200.0, 72_500,
                                      st.net_return(71_200.0, 72_500), armed=False)
    st.positions["000660"] = Position("000660", "SK하이닉스", 5, 5, 180_000.0, 186_000,
                                      st.net_return(180_000.0, 186_000), armed=True, high=188_000)
    st.positions["035420"] = Position("035420", "NAVER", 6, 0, 200_000.0, 195_500,
                                      st.net_return(200_000.0, 195_500), sell_intent="s00009")
    st.orders["s00009"] = Order("s00009", Side.SELL, "035420", 6, None, OrderType.MARKET, "stop_loss", "run",
                                NOW - dt.timedelta(seconds=12), name="NAVER", order_no="0001234",
                                state=OrderState.ACKED)
    st.orders["s00010"] = Order("s00010", Side.BUY, "051910", 3, 350_000, OrderType.LIMIT, "buy_cond", "run",
                                NOW - dt.timedelta(seconds=125), name="LG화학", state=OrderState.UNKNOWN)
    st.marks["051910"] = Mark(350_000, 455_000, 245_000, 350_000, NOW, "LG화학")
    return st


def log() -> list:
    t = NOW - dt.timedelta(seconds=30)
    return [
        (t, ev.Decision("buy_cond", "051910", "buy", "3 @ 350,000 (price 350,000)")),
        (t, ev.Decision("trailing", "000660", "arm", "return 2.41% >= 2.0%")),
        (t + dt.timedelta(seconds=3), ev.Decision("stop_loss", "035420", "sell", "6 @ market: return -2.5% <= -2.0%")),
    ]


NAMES = {"1": "급등주", "2": "이탈"}  # the conditions' names as the broker gives them


def recent(st: State) -> Recent:
    """The engine's bookkeeping after two condition events: an entry bought at once, an exit."""
    r = Recent(NAMES)
    t = NOW - dt.timedelta(seconds=31)
    buy = log()[0][1]
    r.consume(Turn(t, (ConditionEvent("1", "051910", True, "102944"), buy)))
    r.consume(Turn(t + dt.timedelta(seconds=1), (ConditionEvent("1", "068270", False, "102945"),)))
    r.log.clear()
    r.log.extend(log())
    r.socket, r.latency = True, (0.12, 0.93)
    return r


def view(st: State | None = None, settings: RunSettings | None = None, **kw) -> BoardView:
    """A frame's view of `st`; log, conditions, socket, latency: replace what the snapshot carries."""
    st = st if st is not None else state()
    kw.setdefault("info", info())
    kw.setdefault("now", NOW)
    kw.setdefault("footer", (("q quit  p pause  s sell CODE  x sell all", "dim"),))
    carried = {k: kw.pop(k) for k in ("log", "conditions", "socket", "latency") if k in kw}
    r = kw.pop("recent", None) or recent(st)
    snap = st.snapshot(settings or kw["info"].settings, r)
    return BoardView(snapshot=dataclasses.replace(snap, **carried), **kw)
