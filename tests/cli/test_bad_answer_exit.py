"""A one-shot command whose broker answer stays malformed after the retries exits 4 with
"unexpected answer from the broker: ..." (it was 70, which is kept for our own bugs)."""

from __future__ import annotations

import json

import pytest

from tests.kit.cli import kiwoom
from tests.kit.sim import api_ids, arm


@pytest.mark.parametrize("api_id", ["kt00018", "kt00001"])
def test_account_with_a_malformed_answer_exits_4_after_the_retries(sim, mock_env, api_id):
    arm(sim, kind="bad_answer", api_id=api_id, status=200, count=3,
        body=json.dumps({"return_code": 0, "return_msg": "ok"}))  # its list or figures missing
    ran = kiwoom("account")
    assert ran.code == 4, ran.err
    assert "unexpected answer from the broker: " + api_id in ran.err
    assert "Traceback" not in ran.err and "no holdings" not in ran.out
    assert api_ids(sim).count(api_id) == 3
