"""Read keys from the terminal in cbreak mode on a thread; put the terminal back on every exit path.

The reader blocks in select() on stdin and a self-pipe (no polling: zero cost while no key is
pressed); stop() writes to the pipe, joins the thread and restores the saved terminal modes.
POSIX only: on Windows (no termios) keys are not read yet (docs/decisions.md §10) and start() says so.
"""

from __future__ import annotations

import atexit
import codecs
import logging
import os
import select
import sys
import threading
from collections.abc import Callable

try:  # POSIX
    import termios
    import tty
except ImportError:  # pragma: no cover - Windows
    termios = tty = None  # type: ignore[assignment]

log = logging.getLogger("kiwoom.ui.terminal")


class KeyReader:
    """Call `on_text(text)` from a reader thread with whatever the user typed."""

    def __init__(self, on_text: Callable[[str], None], stream=None) -> None:
        self.on_text = on_text
        self.stream = stream if stream is not None else sys.stdin
        self._fd: int | None = None
        self._saved = None
        self._pipe: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Switch the terminal to cbreak mode and start reading; False if keys cannot be read here."""
        if termios is None:
            return False
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return False
        if not os.isatty(fd):
            return False
        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        atexit.register(self.restore)  # last resort if the process ends without stop()
        tty.setcbreak(fd)  # keys arrive one by one, no echo; Ctrl-C still raises SIGINT
        self._pipe = os.pipe()
        self._thread = threading.Thread(target=self._run, name="kiwoom-keys", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop the reader thread and restore the terminal (safe to call twice)."""
        if self._pipe is not None:
            try:
                os.write(self._pipe[1], b"x")
            except OSError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None
        if self._pipe is not None:
            for end in self._pipe:
                try:
                    os.close(end)
                except OSError:
                    pass
            self._pipe = None
        self.restore()

    def restore(self) -> None:
        """Put back the terminal modes saved at start()."""
        if self._fd is not None and self._saved is not None:
            try:
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            except (termios.error, OSError):  # the terminal is gone: nothing to restore
                pass
            self._saved = None
            atexit.unregister(self.restore)

    def _run(self) -> None:
        fd, wake = self._fd, self._pipe[0]
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                ready, _, _ = select.select([fd, wake], [], [])
            except (OSError, ValueError):
                return
            if wake in ready:
                return
            try:
                data = os.read(fd, 256)
            except OSError:
                return
            if not data:  # end of input: the terminal went away
                return
            text = decoder.decode(data)
            if text:
                try:
                    self.on_text(text)
                except Exception:  # a key handler bug must not kill key input silently
                    log.exception("key handler failed")
