"""Buying halted while the broker's answers are malformed (#12 item 5); exits keep working.

A malformed answer (codec.ProtocolError after the client's retries) is an error, never "nothing
there": the REST worker reports it as ev.BadAnswer and buying stops with a "halt" decision (the
dashboard's log, the JSON lines). The halt is the state flag FLAG, which risk.precheck_buy denies on;
it is not journaled: a restart asks the broker afresh. A later well-formed answer of the same api-id
lifts it (the balance, read only at start, is asked again by the next run).
"""

from __future__ import annotations

import datetime as dt

from kiwoom_cli.core import events as ev

FLAG = "bad_answer"
_LIFTED_BY = {ev.CashUpdated: ("kt00001",), ev.OrdersQueried: ("ka10075", "ka10076"),
              ev.QuotesArrived: ("ka10095", "ka10007")}


class Halts:
    def __init__(self, state) -> None:
        self.state = state
        self.by_api: dict[str, str] = {}  # api-id -> what was wrong with its last answer

    def at_start(self, balance, cash, bad: dict[str, str]) -> list:
        """Halt for the start-up answers that were malformed (None); bad: api-id -> why."""
        out: list = []
        if balance is None:
            out += self._halt("kt00018", bad.get("kt00018", "unexpected answer from the broker: kt00018 (balance)"))
        if cash is None:
            out += self._halt("kt00001", bad.get("kt00001", "unexpected answer from the broker: kt00001 (cash)"))
        return out

    def on(self, event: object, now: dt.datetime) -> list:
        """The decisions an event brings: a halt for a BadAnswer, a resume once answers are sound."""
        if isinstance(event, ev.BadAnswer):
            return self._halt(event.api_id, event.reason)
        lifted = [a for a in _LIFTED_BY.get(type(event), ()) if a in self.by_api]
        if not lifted:
            return []
        for api_id in lifted:
            del self.by_api[api_id]
        self.restore()
        if self.by_api:
            return []
        return [ev.Decision("broker", None, "info", f"{', '.join(lifted)} answered well-formed again: buying resumed")]

    def restore(self) -> None:
        """Put the flag back in (or take it out of) the state's flags."""
        if self.by_api:
            self.state.flags[FLAG] = "; ".join(f"{a}: {r}" for a, r in self.by_api.items())
        else:
            self.state.flags.pop(FLAG, None)

    def _halt(self, api_id: str, reason: str) -> list:
        self.by_api[api_id] = reason
        self.restore()
        why = f"{reason}; buying halted, exits keep working"
        return [ev.Decision("broker", None, "halt", why)]
