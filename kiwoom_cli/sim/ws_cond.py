"""Condition search over the simulator's WebSocket: CNSRLST, CNSRREQ (0/1), CNSRCLR (docs/protocol.md, WebSocket)."""

from __future__ import annotations

import asyncio
from typing import Any

from kiwoom_cli.sim import wire_ws as wire
from kiwoom_cli.sim.context import SimContext
from kiwoom_cli.sim.domain import SimInputError
from kiwoom_cli.sim.ws_conn import Conn
from kiwoom_cli.sim.ws_subs import Index

# unverified: the broker's answer to an unknown seq or search_type is not documented; we answer
# return_code 1 (the spec's generic error) with these texts.
UNKNOWN_SEQ_MSG = "조건식 일련번호가 존재하지 않습니다"
BAD_SEARCH_TYPE_MSG = "조회타입 오류"


class ConditionRequests:
    """Answer condition-search frames; real-time subscriptions live in the hub's `by_seq` index."""

    def __init__(self, ctx: SimContext, by_seq: Index) -> None:
        self.ctx = ctx
        self.by_seq = by_seq
        self.page_size = max(1, int(ctx.config.extra.get("cnsr_page_size", 50)))
        self.list_delay_s = float(ctx.config.extra.get("cnsrlst_delay_s", 0))  # a slow CNSRLST answer
        # CNSRREQs that came before their connection's CNSRLST answer went out. unverified: what
        # the broker does with one (the spec only says to list first); we answer and count it.
        self.early_requests = 0

    def on_list(self, conn: Conn, msg: dict) -> None:
        """CNSRLST: every condition as [seq, name] (after cnsrlst_delay_s, when configured)."""
        if self.list_delay_s > 0:
            asyncio.get_running_loop().call_later(self.list_delay_s, self._answer_list, conn)
        else:
            self._answer_list(conn)

    def _answer_list(self, conn: Conn) -> None:
        conn.listed = True
        conn.send(wire.cnsrlst(self.ctx.exchange.conditions()))

    def on_request(self, conn: Conn, msg: dict) -> None:
        """CNSRREQ: search_type "0" one paged search; "1" current matches plus live pushes."""
        if not conn.listed:
            self.early_requests += 1
        seq = msg.get("seq")
        search_type = str(msg.get("search_type", "0"))
        if not isinstance(seq, str) or not seq.strip():
            conn.send(wire.reply("CNSRREQ", 1, UNKNOWN_SEQ_MSG, seq=str(seq or "")))
            return
        seq = seq.strip()
        if search_type not in ("0", "1"):
            conn.send(wire.reply("CNSRREQ", 1, BAD_SEARCH_TYPE_MSG, seq=seq))
            return
        try:
            codes = list(self.ctx.exchange.condition_matches(seq))
        except SimInputError:
            conn.send(wire.reply("CNSRREQ", 1, UNKNOWN_SEQ_MSG, seq=seq))
            return
        if search_type == "1":
            conn.send(wire.cnsrreq_realtime(seq, codes))
            if seq not in conn.cond_seqs:
                self.by_seq.update(conn, set(), {seq})
                conn.cond_seqs.add(seq)
            return
        start = _start_of(msg)
        page = codes[start : start + self.page_size]
        end = start + len(page)
        more = end < len(codes)
        exchange = self.ctx.exchange
        rows = [wire.cnsrreq_row(exchange.instrument(code)) for code in page]
        conn.send(wire.cnsrreq_page(seq, rows, more, str(end) if more else ""))

    def on_clear(self, conn: Conn, msg: dict) -> None:
        """CNSRCLR: stop the live pushes of one seq on this connection, and acknowledge."""
        seq = msg.get("seq")
        seq = seq.strip() if isinstance(seq, str) else ""
        if seq in conn.cond_seqs:
            conn.cond_seqs.discard(seq)
            self.by_seq.discard(conn, seq)
        conn.send(wire.reply("CNSRCLR", seq=seq))


def _start_of(msg: dict[str, Any]) -> int:
    """Return the row offset a continuation asks for (our next_key is the offset as text)."""
    if str(msg.get("cont_yn", "N")) != "Y":
        return 0
    key = msg.get("next_key")
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return 0
