"""The one composition root (cli/session.py): where the broker is, and the pieces every client shares."""

from __future__ import annotations

import datetime as dt
import os
import queue

import pytest

from kiwoom_cli.cli.session import Broker, Session, broker_address
from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.config import load_config
from kiwoom_cli.errors import ConfigError
from kiwoom_cli.kiwoom import protocol


def test_a_run_needs_both_urls_and_a_command_only_the_rest_url():
    config = load_config(env={}, overrides={"rest_url": "http://127.0.0.1:9"})  # sim mode, no ws_url
    with broker_address(config) as address:
        assert (address.rest_url, address.ws_url, address.ca_file) == ("http://127.0.0.1:9", None, None)
    with pytest.raises(ConfigError, match="needs both rest_url and ws_url"):
        with broker_address(config, run=True):
            pass


def test_every_client_of_one_root_shares_its_limiter_and_token(mock_env, sim):
    config = load_config(env=os.environ)
    clock = ManualClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=KST))
    with broker_address(config, run=True) as address:
        root = Broker(config, address, clock)
        session = Session(root)  # a one-shot command's client, on the same pieces as the run's
        worker = root.rest()
        try:
            session.rest.cash()
            # mock mode: burst 1 per api-id; the command's call took the one slot every client draws on
            assert root.limiter.reserve(protocol.CASH) > 0  # the next one waits (the clock stands still)
            assert worker.token() == session.rest.token()
            socket = root.socket(worker.token, queue.SimpleQueue(), reconnect=False)
            socket.start()  # logs in on the root's endpoint with the shared token
            try:
                assert isinstance(socket.conditions(), list)
            finally:
                socket.stop()
        finally:
            worker.close()
            session.close()
    assert [e["api_id"] for e in sim.request_log].count(protocol.TOKEN) == 1
