"""Tokens: issue, one per app key, revoke, expiry, fixed keys; secrets stay out of reprs."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST
from kiwoom_cli.sim.domain import SimAuthError
from tests.sim.conftest import START, make_exchange


def test_issue_gives_a_kst_expiry_from_the_clock_and_a_working_token():
    ex, _, clock = make_exchange(token_lifetime_s=3600)
    token, expires = ex.issue_token("key-a", "secret-a")
    assert expires == START + dt.timedelta(hours=1) and expires.utcoffset() == dt.timedelta(hours=9)
    assert ex.app_key_for_token(token) == "key-a"
    assert ex.account_for_token(token).deposit == 100_000_000
    clock.advance(3600)
    with pytest.raises(SimAuthError) as info:
        ex.account_for_token(token)
    assert info.value.code == "8005"


def test_a_new_token_revokes_the_old_one():
    ex, _, _ = make_exchange()
    first, _ = ex.issue_token("key-a", "s")
    second, _ = ex.issue_token("key-a", "s")
    assert first != second
    with pytest.raises(SimAuthError):
        ex.app_key_for_token(first)
    assert ex.app_key_for_token(second) == "key-a"


@pytest.mark.parametrize(
    "appkey, secret, code", [("", "s", "8020"), ("k", "", "8020"), ("k", "wrong", "8001")]
)
def test_login_failures(appkey, secret, code):
    ex, _, _ = make_exchange(fixed_keys=("k", "right"))
    with pytest.raises(SimAuthError) as info:
        ex.issue_token(appkey, secret)
    assert info.value.code == code


def test_fixed_keys_accept_only_that_pair():
    ex, _, _ = make_exchange(fixed_keys=("sim-paper", "sim-secret"))
    token, _ = ex.issue_token("sim-paper", "sim-secret")
    assert ex.app_key_for_token(token) == "sim-paper"


def test_revoke_and_expire_all():
    ex, _, _ = make_exchange()
    token, _ = ex.issue_token("key-a", "s")
    with pytest.raises(SimAuthError) as info:
        ex.revoke_token("key-b", "s", token)  # not this key's token
    assert info.value.code == "8015"
    ex.revoke_token("key-a", "s", token)
    with pytest.raises(SimAuthError):
        ex.app_key_for_token(token)
    with pytest.raises(SimAuthError) as info:
        ex.revoke_token("key-a", "s", token)
    assert info.value.code == "8015"
    token, _ = ex.issue_token("key-a", "s")
    ex.expire_all_tokens()
    with pytest.raises(SimAuthError):
        ex.app_key_for_token(token)
    ex.issue_token("key-a", "s")  # logging in again works


def test_tokens_and_keys_stay_out_of_reprs():
    ex, _, _ = make_exchange()
    token, _ = ex.issue_token("very-secret-app-key", "very-secret")
    ex.place_order("very-secret-app-key", "buy", "005930", 1, 90_000, "0")
    acct = ex._accounts["very-secret-app-key"]
    text = repr(ex) + repr(ex._tokens) + repr(list(ex._tokens._by_token.values())) + repr(acct)
    assert "0000001" in text  # the order is in the account's repr, its app key is not
    assert token not in text and "very-secret" not in text


def test_unknown_code(sim):
    from kiwoom_cli.sim.domain import SimInputError

    ex, _, _ = sim
    with pytest.raises(SimInputError) as info:
        ex.instrument("123456")
    assert info.value.code == "1902"
    assert ex.instrument("005930").name == "삼성전자"
    assert dt.datetime.now(KST)  # clock module importable; the exchange never reads it
