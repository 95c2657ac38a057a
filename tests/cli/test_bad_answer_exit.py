"""A one-shot command whose broker answer stays malformed after the retries exits 4 with
"unexpected answer from the broker: ..." (it was 70, which is kept for our own bugs)."""

from __future__ import annotations

import json

import pytest

from tests.badanswer_proxy import BadAnswerProxy
from tests.cli.conftest import kiwoom


@pytest.mark.parametrize("api_id", ["kt00018", "kt00001"])
def test_account_with_a_malformed_answer_exits_4(sim, mock_env, monkeypatch, api_id):
    with BadAnswerProxy(sim.rest_url) as proxy:
        monkeypatch.setenv("KIWOOM_REST_URL", proxy.url)
        proxy.answer(api_id, json.dumps({"return_code": 0, "return_msg": "ok"}).encode(), count=None)
        ran = kiwoom("account")
    assert ran.code == 4, ran.err
    assert "unexpected answer from the broker: " + api_id in ran.err
    assert "Traceback" not in ran.err
    assert proxy.served == [api_id] * 3
