"""A bug inside the engine ends the run with exit 70, one line on stderr, the traceback in the run's log."""

from __future__ import annotations

import threading

from kiwoom_cli.cli.main import invoke
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.models import ConditionEvent
from kiwoom_cli.paths import state_dir
from tests.kit.cli import mock_env
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import subscribed


def test_engine_bug_exits_70_with_one_line(sim, monkeypatch, capsys):
    for key, value in mock_env(sim).items():
        monkeypatch.setenv(key, value)
    handle = Kernel.handle

    def broken(self, event, now):  # a fault injected into the kernel, the rest is the real run
        if isinstance(event, ConditionEvent):
            raise RuntimeError("injected bug")  # noqa: TRY004 - any bug, not a type check
        return handle(self, event, now)

    monkeypatch.setattr(Kernel, "handle", broken)

    def push() -> None:
        wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed")
        sim.push_condition("1", "005930", "I")

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    code = invoke(["run", "--headless", "--buy-cond", "1", "--until", "+30s", *ANY_HOUR])
    pusher.join(timeout=10)
    out, err = capsys.readouterr()
    assert code == 70
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error: RuntimeError" in lines[0] and "traceback in" in lines[0]
    assert '"kind": "summary"' in out.strip().splitlines()[-1]
    logs = list((state_dir() / "logs").glob("run-*.log"))
    assert len(logs) == 1 and "RuntimeError: injected bug" in logs[0].read_text(encoding="utf-8")
    assert sim.order_log == []
