"""How `kiwoom run` ends: the summary (a JSON line, or one line on a terminal) and the exit code.

Exit codes (docs/decisions.md §6): --until / window end / quit -> 0, Ctrl-C / SIGTERM -> 130,
kicked off the socket -> AccountBusy's, an engine bug -> 70 with one line (traceback in the run's log).
"""

from __future__ import annotations

import logging
import signal
import sys

from kiwoom_cli.errors import AccountBusy, ExitCode

log = logging.getLogger("kiwoom.run")


def finish(engine, feed, reason, interrupts, interactive, started, clock, log_path) -> int:
    """Close the feed, write the run's summary and return the exit code."""
    from kiwoom_cli.cli.runfeed import summary

    feed.close()
    if interrupts.signal is not None and reason in ("", "stopped"):
        reason = "interrupted" if interrupts.signal == signal.SIGINT else "terminated"
    if engine.error is not None:
        reason = engine.exit_reason or "internal error"
    done = summary(feed, engine.latest, exit_reason=reason, started=started, now=clock.now())
    if interactive:
        feed_line = (f"kiwoom: run ended ({reason}): {done['buys']} buys, {done['sells']} sells, "
                     f"realised P&L {done['realised_pnl']:,} KRW, {len(done['open_positions'])} open positions; "
                     f"{_unanswered(done)}log {log_path}\n")
        log.info("%s", feed_line.strip())
        sys.stdout.write(feed_line)
        sys.stdout.flush()
    else:
        feed.write(done)
    if engine.error is not None:
        sys.stderr.write(f"kiwoom: {reason}; traceback in {log_path}\n")
        return int(ExitCode.INTERNAL)
    if reason.startswith("kicked"):
        sys.stderr.write(f"kiwoom: error: {reason} (another login with the same app key took the socket)\n")
        return int(AccountBusy.exit_code)
    if interrupts.signal is not None:
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)


def _unanswered(done: dict) -> str:
    """The end line's word on orders still waiting (a sell refused for a rate limit until the end)."""
    waiting = done["unanswered"]
    if not waiting:
        return ""
    what = ", ".join(f"{w['side'] or w['action']} {w['code']}" for w in waiting)
    return f"{len(waiting)} orders not placed ({what}: still waiting to be sent); "
