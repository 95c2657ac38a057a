"""The journal's ahead file: a run's order intents made durable by one write() before the send.

Why (issue #5: condition entry -> order bytes, p50 < 0.5 ms): the engine sleeps between market
events, and on this kind of machine the first microseconds after a wake-up run several times slower
than warm code. An SQLite commit of one intent costs ~15-25 µs warm but ~180 µs right after a wake-up
(benchmarks/entry_to_order.py; the commit of an empty transaction alone ~45 µs), most of the path's
budget. A write() of one line to a file is a single short system call.

So in `kiwoom run` the statements of an engine turn that places orders are not executed before the
send: they are written here as one JSON line, {"ids": [intent ids], "sql": [[statement, args], ...]},
the orders leave, and the journal then commits the same statements to SQLite in one transaction and
empties this file (Journal.flush). What this file holds was thus made durable before the bytes left
(decisions §7), and it survives a killed process as the WAL does with synchronous=NORMAL (both live
in the OS's page cache: neither survives a power cut).

Replay (Journal.recover_ahead, before anything reads the journal): a line whose intents SQLite does
not have is committed then; its orders may or may not have left, exactly as for an intent committed
just before a crash (status pending: the settle rules ask the broker, never resend). A line whose
intents SQLite has was committed before the crash (one transaction holds the whole turn). A last line
without its newline is a write that never finished: nothing was sent after it, so it is dropped.

Only the process holding the run lock writes or replays this file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from kiwoom_cli.errors import KiwoomError

try:  # optional speed-up (decisions §9); both write the same JSON for str / int / float / None
    from orjson import dumps as _dumps
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class AheadFileCorrupt(KiwoomError):
    """A line in the middle of the ahead file does not parse: refuse to guess what it held."""


@dataclass(frozen=True)
class Turn:
    """One engine turn's journal statements, written ahead of its orders."""

    ids: tuple[str, ...]
    sql: tuple[tuple[str, tuple], ...]


def ahead_path(journal: Path) -> Path:
    """Return the ahead file beside a journal: <journal>-ahead."""
    return journal.with_name(journal.name + "-ahead")


class AheadFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        # 0600 like the journal; O_APPEND: every write lands at the end, after a truncation too
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)

    def append(self, ids: list[str], statements: list) -> None:
        """Write one turn; return only once all of it is written (an OSError propagates: send nothing)."""
        data = _dumps({"ids": ids, "sql": statements}) + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def turns(self) -> list[Turn]:
        """Read every complete turn in the file (a torn last line is dropped: see the module doc)."""
        with open(self._fd, "rb", closefd=False) as f:
            f.seek(0)
            lines = f.read().split(b"\n")
        out = []
        for n, line in enumerate(lines[:-1], 1):  # lines[-1]: b"" after the last newline, or a torn write
            try:
                item = json.loads(line)
                out.append(Turn(tuple(item["ids"]), tuple((sql, tuple(args)) for sql, args in item["sql"])))
            except (ValueError, KeyError, TypeError):
                raise AheadFileCorrupt(f"{self.path}: line {n} is not a journal turn; the file is left "
                                       "as it is for inspection") from None
        return out

    def clear(self) -> None:
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
