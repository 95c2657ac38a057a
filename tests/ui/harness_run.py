"""Run the dashboard on a real Engine against a running simulator (what `kiwoom run` does, minus config).

    python -m tests.ui.harness_run REST_URL WS_URL [--buy-seq 1] [--sell-seq 2]

The tmux tests and benchmarks/dashboard.py start it in a terminal; the simulator lives in their process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import queue
import sys
import tempfile
from pathlib import Path

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.ui.dashboard import RunInfo, run_dashboard

APP_KEY = "HARNESS-APP-KEY-0123456789abcdefghijklmnop"
SECRET = "HARNESS-SECRET-9876543210zyxwvutsrqponmlkj"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("rest_url")
    p.add_argument("ws_url")
    p.add_argument("--buy-seq", default="1")
    p.add_argument("--sell-seq", default="2")
    p.add_argument("--home", default=os.environ.get("KIWOOM_HOME") or tempfile.mkdtemp())
    args = p.parse_args(argv)
    home = Path(args.home)
    endpoint = Endpoint("sim", args.rest_url, args.ws_url)
    tokens = TokenStore(home / "tokens")
    events: queue.SimpleQueue = queue.SimpleQueue()

    def rest_factory() -> RestClient:
        return RestClient(endpoint, Credentials(APP_KEY, SECRET), tokens=tokens)

    token_rest = rest_factory()
    socket = SocketClient(endpoint, token_rest.token, events, backoff=(0.05, 0.5))
    settings = RunSettings(buy_cond=args.buy_seq, sell_cond=args.sell_seq)
    journal = Journal(home / "journal.sqlite3")
    engine = Engine(Kernel(settings, journal, id_prefix="h"), socket=socket, rest_factory=rest_factory,
                    clock=SystemClock(), events=events,
                    condition_names={args.buy_seq: "buy", args.sell_seq: "sell"})
    engine.start()
    info = RunInfo(mode="sim", account="HARNESS", buy_cond=("buy", args.buy_seq),
                   sell_cond=("sell", args.sell_seq), settings=settings, journal_path=journal.path,
                   started_at=dt.datetime.now(SystemClock().now().tzinfo))
    try:
        reason = run_dashboard(engine, info)
    finally:
        if not engine.done.is_set():
            engine.stop()
        engine.join()
        journal.close()
        token_rest.close()
    print(f"dashboard exited: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
