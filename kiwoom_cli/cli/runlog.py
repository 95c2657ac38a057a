"""The log file of one `kiwoom run`: state_dir()/logs/run-<time>-<pid>.log, 0600, times in KST."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

_LOGGERS = ("kiwoom", "kiwoom_cli")  # our modules log under both names


def open_log(started: dt.datetime) -> tuple[Path, logging.Handler]:
    """Send our loggers to state_dir()/logs/run-<time>-<pid>.log (0600); return its path and handler."""
    from kiwoom_cli.paths import ensure_private_dir, state_dir

    path = ensure_private_dir(state_dir() / "logs") / f"run-{started:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_KstFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return path, handler


class _KstFormatter(logging.Formatter):
    """Log times in KST like everything else (docs/decisions.md §1), never the host's zone."""

    def formatTime(self, record, datefmt=None):
        from kiwoom_cli.clock import KST

        return dt.datetime.fromtimestamp(record.created, KST).isoformat(timespec="milliseconds")


def close_log(handler: logging.Handler) -> None:
    for name in _LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()
