"""SocketClient's manners and resilience against the simulator over real sockets: bare PING,
CNSRLST before CNSRREQ, token refusals at LOGIN, FID 12, malformed frames, a failing reader, silence."""

from __future__ import annotations

import base64
import logging

import pytest
import requests

from kiwoom_cli.errors import AuthError, TokenInvalid
from kiwoom_cli.kiwoom import protocol, wsconn, wsparsers
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import ConditionEvent, SocketStatus, Tick
from tests.kit.events import Events
from tests.kit.helpers import wait_until
from tests.kit.sim import endpoint, rest_client, running_sim


def _client(sim, rest, events, **kw) -> SocketClient:
    kw.setdefault("backoff", (0.05, 0.5))
    return SocketClient(endpoint(sim), rest.token, events.queue, **kw)


def _push(sim, data: bytes | str) -> None:
    body = {"text": data} if isinstance(data, str) else {"base64": base64.b64encode(data).decode()}
    answer = requests.post(f"{sim.rest_url}/sim/frame", json=body, timeout=10)
    assert answer.status_code == 200 and answer.json()["sockets"] >= 1, answer.text


def _disconnects(events) -> list[SocketStatus]:
    return [e for e in events.seen if isinstance(e, SocketStatus) and e.state == "disconnected"]


@pytest.fixture
def sim():
    with running_sim(extra={"ping_interval_s": 0.1, "ping_misses": 3, "cnsrlst_delay_s": 0.2}) as server:
        yield server


@pytest.fixture
def sock(sim, rest, events):
    client = _client(sim, rest, events)
    client.start()
    yield client
    client.stop()


# ---------------------------------------------------------------------------------- issue 11


def test_bare_ping_is_echoed_as_it_came(sim, sock, events):
    events.status("connected")
    sim.fault("bare_ping", 6)  # 6 bare PINGs: more than ping_misses, so only echoes keep the socket
    wait_until(lambda: sim.call(lambda: sim._hub.bare_echoes) >= 6, timeout=20, message="6 bare echoes")
    assert sock.connected and not _disconnects(events)


def test_cnsrreq_waits_for_the_cnsrlst_answer_after_a_reconnect(sim, sock, events):
    early = lambda: sim.call(lambda: sim._hub.cond.early_requests)  # noqa: E731
    sock.register(["005930"])
    sock.subscribe_condition("1")
    events.status("connected")
    assert early() == 0
    sim.fault("drop_socket", 1)
    events.status("disconnected")
    events.status("connected", "reconnected")
    assert early() == 0  # the simulator answered CNSRLST (0.2 s late) before any CNSRREQ came
    assert sim.call(lambda: bool(sim._hub.by_seq.get("1")))
    sim.push_condition("1", "035420", "I")
    assert events.wait_for(lambda e: isinstance(e, ConditionEvent), what="push").code == "035420"


@pytest.mark.parametrize(
    "frame",
    [
        {"trnm": "LOGIN", "return_code": 805004,
         "return_msg": "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]"},
        {"trnm": "LOGIN", "return_code": 805004, "return_msg": "... [CODE=8031, MESSAGE=...]"},
        {"trnm": "LOGIN", "return_code": 805004, "return_msg": "... [CODE=8103, MESSAGE=...]"},
        {"trnm": "LOGIN", "return_code": 8005, "return_msg": "Token이 유효하지 않습니다"},
        {"trnm": "LOGIN", "return_code": "8031", "return_msg": ""},
        {"trnm": "LOGIN", "return_code": 8103},
        {"trnm": "LOGIN", "return_code": 3, "return_msg": "인증에 실패했습니다[8031:투자구분이 달라서 Token를 사용할수가 없습니다]"},
    ],
)
def test_login_token_refusals_in_every_form_ask_for_a_fresh_token(frame):
    error = wsconn.login_error(frame)
    assert isinstance(error, TokenInvalid) and error.api_id == "LOGIN"


@pytest.mark.parametrize(
    "frame",
    [
        {"trnm": "LOGIN", "return_code": 805004, "return_msg": "... [CODE=8001, MESSAGE=App Key 검증 실패]"},
        {"trnm": "LOGIN", "return_code": 1, "return_msg": "error"},
        {"trnm": "LOGIN", "return_code": 8030},
    ],
)
def test_other_login_failures_stay_auth_errors(frame):
    error = wsconn.login_error(frame)
    assert isinstance(error, AuthError) and not isinstance(error, TokenInvalid)


@pytest.mark.parametrize("form, code", [("top", "8031"), ("top", "8103"), ("rc3", "8031"), ("rc3", "8103"),
                                        ("http401", "8103"), ("top", "8005")])
def test_login_refused_in_each_form_logs_in_again_with_a_fresh_token(sim, rest, events, form, code):
    """Through the simulator: the cached token is refused at LOGIN; a fresh one is issued and used."""
    refused = rest.token()
    answer = requests.post(f"{sim.rest_url}/sim/fault", timeout=5, json={
        "kind": "token_refused", "api_id": "LOGIN", "form": form, "code": code, "count": 1})
    assert answer.status_code == 200, answer.text
    client = _client(sim, rest, events, reconnect=False)
    client.start(timeout=5)
    try:
        assert code in events.status("login_failed").detail
        assert events.status("connected").detail == "logged in"
        assert client._refused == refused and rest.token() != refused  # noqa: SLF001
    finally:
        client.stop()


def test_a_refused_token_is_never_sent_again(sim, rest, events):
    """The provider hands back the refused token on force: no second LOGIN with it, AuthError."""
    logins = []

    def provider(force: bool) -> str:
        logins.append(force)
        return "REFUSED-TOKEN-0123456789"

    client = SocketClient(endpoint(sim), provider, events.queue, reconnect=False)
    with pytest.raises(AuthError) as info:
        client.start(timeout=5)
    assert not isinstance(info.value, TokenInvalid) and "refused" in info.value.message
    assert logins == [False, False, True]  # refused; still cached, so re-issue; handed back: stop


def test_reconnect_after_a_token_refusal_uses_a_fresh_token(sim, sock, rest, events):
    sock.register(["005930"])
    events.status("connected")
    refused = rest.token()
    sim.fault("expire_token", 1)
    sim.fault("drop_socket", 1)
    events.status("login_failed")
    events.status("connected", "reconnected")
    assert sock._refused == refused and rest.token() != refused  # noqa: SLF001


def test_condition_search_rate_reads_as_the_spec_says(sim, sock):
    code = "005930"
    base = sim.call(lambda: sim.ctx.exchange.instrument(code).base_price)
    price = base + 2 * (100 if base >= 50_000 else 50)
    sim.set_price(code, price)
    sim.push_condition("2", code, "I")
    [match] = [m for m in sock.search("2") if m.code == code]
    assert match.change == price - base
    assert match.change_pct == pytest.approx(round((price - base) * 100 / base, 2))


# ---------------------------------------------------------------------------------- issue 12 item 3

HOSTILE = [
    '{"trnm": ["REAL"]}',
    '{"trnm": "REAL", "data": 5}',
    '{"trnm": "REAL", "data": [5, null, "x", {"values": 3}]}',
    '{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": "' + "9" * 5000 + '"}}]}',
    '{"trnm": "REAL", "data": [{"type": "0B", "item": "005930", "values": {"10": ' + "9" * 5000 + '}}]}',
    b'{"trnm": "REAL", "data": [{"type": "0B", "item": "\xff\xfe"}]}',
    '{"trnm": "CNSRLST", "data": {"a": [1, 2]}}',
    "[" * 5000 + "]" * 5000,
    '{"trnm": "SYSTEM", "code": [1], "message": {"a": 1}}',
    "not json at all",
    '{"trnm": "REAL", "data": [{"type": "00", "values": {"913": "체결", "9203": [1]}}]}',
]


def test_malformed_frames_are_counted_and_the_reader_keeps_reading(sim, sock, events):
    sock.subscribe_condition("3")
    events.status("connected")
    for frame in HOSTILE:
        _push(sim, frame)
    sim.push_condition("3", "068270", "I")
    assert events.wait_for(lambda e: isinstance(e, ConditionEvent), what="entry after bad frames").code == "068270"
    assert sock.bad_frames >= len(HOSTILE) - 1  # a stray CNSRLST answer is no bad frame, just unawaited
    assert sock.connected and not _disconnects(events)


def test_a_bad_frame_log_line_never_shows_a_token(sim, sock, events, caplog):
    caplog.set_level(logging.WARNING)
    events.status("connected")
    secret = "SECRET-TOKEN-VALUE-0123456789"
    before = sock.bad_frames
    _push(sim, '{"trnm": ["LOGIN"], "token": "' + secret + '"}')
    wait_until(lambda: sock.bad_frames > before, timeout=10, message="the frame counted")
    assert "dropped a malformed frame" in caplog.text and secret not in caplog.text


def test_a_failing_reader_reconnects(sim, sock, events, monkeypatch):
    sock.register(["000660"])
    events.status("connected")
    real_parse = protocol.parse_real_entry
    failures = []

    def broken(entry, received=0.0):
        if not failures:
            failures.append(entry)
            raise RuntimeError("a bug in a parser")
        return real_parse(entry, received)

    monkeypatch.setattr(wsparsers, "parse_real_entry", broken)  # what parse_real_frame calls
    sim.set_price("000660", 571_000)
    assert "socket reader failed (RuntimeError)" in events.status("disconnected").detail
    events.status("connected", "reconnected")
    sim.set_price("000660", 572_000)
    tick = events.wait_for(lambda e: isinstance(e, Tick) and e.price == 572_000, what="tick after the failure")
    assert tick.code == "000660" and sock.connected


def test_silence_reconnects(tmp_path):
    events = Events()
    with running_sim(extra={"ping_interval_s": 3600}) as sim, rest_client(sim, tmp_path) as rest:
        client = _client(sim, rest, events, ping_period=0.1)  # nothing for 0.2 s: dead
        client.start()
        try:
            assert events.status("disconnected").detail == "nothing received for 0.2s"
            events.status("connected", "reconnected")
        finally:
            client.stop()


def test_pings_keep_a_quiet_socket_alive(sim, rest, events):
    client = _client(sim, rest, events, ping_period=0.5)  # PINGs every 0.1 s: never silent for 1 s
    client.start()
    try:
        wait_until(lambda: client.pings >= 20, timeout=20, message="20 PINGs")
        assert client.connected and not _disconnects(events)
    finally:
        client.stop()


def test_connected_means_a_live_reader(sim, sock, events, monkeypatch):
    events.status("connected")
    assert sock.connected

    def broken(self):
        raise RuntimeError("a bug in the reconnect")

    monkeypatch.setattr(SocketClient, "_reconnect_loop", broken)
    sim.fault("drop_socket", 1)
    events.status("disconnected")
    events.wait_for(lambda e: isinstance(e, SocketStatus) and "reader failed" in e.detail, what="reader failed")
    wait_until(lambda: not sock._reader.is_alive(), timeout=10, message="reader ended")  # noqa: SLF001
    assert not sock.connected


def test_a_token_replaced_meanwhile_is_used_without_a_reissue(sim, rest, events):
    """After a refusal the cache is asked first; only if it still holds the refused token is a
    fresh one forced (so a token another process just got is not replaced)."""
    calls = []

    def provider(force: bool) -> str:
        calls.append(force)
        return "NOT-A-VALID-TOKEN-0123456789" if len(calls) == 1 else rest.token()

    client = SocketClient(endpoint(sim), provider, events.queue, reconnect=False)
    client.start(timeout=5)
    try:
        assert events.status("login_failed").detail and client.connected
        assert calls == [False, False]
    finally:
        client.stop()


def test_an_unacknowledged_restore_reconnects(tmp_path):
    events = Events()
    extra = {"ping_interval_s": 0.05, "cnsrlst_delay_s": 1.0}
    with running_sim(extra=extra) as sim, rest_client(sim, tmp_path) as rest:
        client = _client(sim, rest, events, timeout=0.3)
        client.start(timeout=5)
        try:
            client.subscribe_condition("1", timeout=5)
            events.status("connected")
            sim.fault("drop_socket", 1)
            events.status("disconnected")
            late = events.status("disconnected")  # the CNSRLST answer comes after the 0.3 s the restore has
            assert late.detail == "the restore after the reconnect was not acknowledged"
        finally:
            client.stop()
