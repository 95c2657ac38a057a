"""Condition search on the socket (CNSRLST, CNSRREQ, CNSRCLR), a part of SocketClient (socket.py).

The spec asks for CNSRLST on a connection before any CNSRREQ. A query cut off by a dropped
connection is asked once more after the reader reconnected (and restored its subscriptions), so a
network drop during a run's start-up does not end the session (docs/architecture.md §7).
"""

from __future__ import annotations

import logging

from kiwoom_cli.errors import TemporaryError
from kiwoom_cli.kiwoom import codec, protocol, wsconn
from kiwoom_cli.models import Condition, ConditionMatch

log = logging.getLogger("kiwoom_cli.kiwoom.socket")
MAX_SEARCH_PAGES = 50


class ConnectionLost(TemporaryError):
    """A request cut off by a dropped connection, or sent while there was none."""


class ConditionSearch:
    """Mixed into SocketClient: uses its _request_lock, _exchange, _wanted, _connected, _restoring."""

    def conditions(self, timeout: float = 10.0) -> list[Condition]:
        """Return the conditions saved for this account (CNSRLST)."""
        return self._asked(lambda: protocol.parse_conditions(self._list(timeout)), timeout)

    def _asked(self, query, timeout: float):
        """Run a query (under the request lock); one cut off by a dropped connection is asked once
        more after the reader reconnected, so a drop during a start-up does not end the session."""
        try:
            with self._request_lock:
                return query()
        except ConnectionLost:
            if not self._reconnect or self._stop.is_set():
                raise
            if not (self._connected.wait(timeout) and self._restoring.settled.wait(timeout)):
                raise
        log.info("asking again after the socket reconnected")
        with self._request_lock:
            return query()

    def search(self, seq: str, timeout: float = 10.0) -> list[ConditionMatch]:
        """Run a condition once (CNSRREQ search_type 0) and return every page of matches."""
        return self._asked(lambda: self._search(seq, timeout), timeout)

    def _search(self, seq: str, timeout: float) -> list[ConditionMatch]:
        self._ensure_listed(timeout)
        matches: list[ConditionMatch] = []
        next_key = None
        for _ in range(MAX_SEARCH_PAGES):
            reply = self._exchange(protocol.cnsrreq_frame(seq, "0", next_key), "CNSRREQ", timeout)
            page, next_key = protocol.parse_search_page(reply)
            matches.extend(page)
            if next_key is None:
                return matches
        raise codec.ProtocolError(f"CNSRREQ: more than {MAX_SEARCH_PAGES} pages", api_id="CNSRREQ")

    def subscribe_condition(self, seq: str, timeout: float = 10.0) -> list[str]:
        """Subscribe to a condition's entries/exits (CNSRREQ search_type 1); return the codes matching now."""
        return self._asked(lambda: self._subscribe(seq, timeout), timeout)

    def _subscribe(self, seq: str, timeout: float) -> list[str]:
        self._ensure_listed(timeout)
        reply = self._exchange(protocol.cnsrreq_frame(seq, "1"), "CNSRREQ", timeout)
        self._wanted.add_condition(seq)
        return protocol.parse_subscribe_codes(reply)

    def unsubscribe_condition(self, seq: str) -> None:
        """Stop a condition's pushes (CNSRCLR); the ack is not awaited (it may never come)."""
        with self._request_lock:
            self._wanted.remove_condition(seq)
            ws = self._ws if self._connected.is_set() else None
            if ws is not None:
                try:
                    wsconn.send(ws, protocol.cnsrclr_frame(seq))
                except TemporaryError:
                    pass  # a dropped connection clears its subscriptions anyway

    def _list(self, timeout: float) -> dict:
        reply = self._exchange(protocol.cnsrlst_frame(), "CNSRLST", timeout)
        self._listed = True
        return reply

    def _ensure_listed(self, timeout: float) -> None:
        if not self._listed:  # the spec asks for CNSRLST before a condition search
            self._list(timeout)

