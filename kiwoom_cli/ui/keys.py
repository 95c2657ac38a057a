"""The dashboard's keys as a small pure state machine: key -> engine events + the footer line.

`q` quit · `p` pause/resume buying · `s` then a code and Enter: sell that position · `x` then `y`:
sell everything. No terminal here (dashboard.py reads the keys), so every path is testable.
"""

from __future__ import annotations

from kiwoom_cli.core import events as ev

ENTER, ESC, BACKSPACE = "enter", "esc", "backspace"
CODE_LEN = 6  # KRX short codes (6 characters, digits or capital letters)
HELP = "q quit · p pause/resume · s CODE⏎ sell one · x sell all"


def split_keys(text: str) -> list[str]:
    """Turn what the terminal sent into keys; escape sequences (arrows, F-keys) are dropped."""
    keys: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\x1b":
            if i + 1 < n and text[i + 1] in "[O":  # CSI / SS3 sequence: skip to its final byte
                j = i + 2
                while j < n and not (text[j].isalpha() or text[j] == "~"):
                    j += 1
                i = j + 1
                continue
            keys.append(ESC)
        elif ch in "\r\n":
            keys.append(ENTER)
        elif ch in "\x7f\x08":
            keys.append(BACKSPACE)
        elif ch.isprintable():
            keys.append(ch)
        i += 1
    return keys


class KeyPad:
    """What the keys mean in the current mode (normal, typing a code to sell, confirming sell-all)."""

    def __init__(self) -> None:
        self.mode = "normal"
        self.code = ""
        self.notice = ""
        self.quitting = False

    def press(self, key: str, snap) -> list:
        """Handle one key against the latest snapshot; return the events for the engine."""
        if self.quitting:
            return []
        if self.mode == "sell":
            return self._typing(key, snap)
        if self.mode == "confirm":
            self.mode = "normal"
            if key in ("y", "Y"):
                self.notice = "selling every position; buying paused (p resumes)"
                return [ev.SellAll()]
            self.notice = "sell all: cancelled"
            return []
        return self._normal(key, snap)

    def _normal(self, key: str, snap) -> list:
        if key in ("q", "Q"):
            self.quitting = True
            self.notice = "stopping ..."
            return [ev.StopRun()]
        if key in ("p", "P"):
            paused = snap is not None and snap.paused
            self.notice = "resuming buys" if paused else "pausing buys (exits keep working)"
            return [ev.Resume()] if paused else [ev.Pause()]
        if key in ("s", "S"):
            self.mode, self.code, self.notice = "sell", "", ""
            return []
        if key in ("x", "X"):
            held = len(snap.positions) if snap is not None else 0
            if not held:
                self.notice = "no positions to sell"
                return []
            self.mode, self.notice = "confirm", ""
            return []
        if key not in (ENTER, ESC, BACKSPACE):
            self.notice = f"unknown key {key!r}"
        return []

    def _typing(self, key: str, snap) -> list:
        if key == ESC:
            self.mode, self.notice = "normal", "sell: cancelled"
            return []
        if key == BACKSPACE:
            self.code = self.code[:-1]
            return []
        if key == ENTER:
            code, self.mode, self.code = self.code, "normal", ""
            if len(code) != CODE_LEN:
                self.notice = f"sell: a code is {CODE_LEN} characters, not {code!r}"
                return []
            if snap is None or code not in snap.positions:
                self.notice = f"sell: no position in {code}"
                return []
            self.notice = f"selling {code}"
            return [ev.SellCode(code)]
        if len(key) == 1 and key.isalnum() and key.isascii() and len(self.code) < CODE_LEN:
            self.code += key.upper()
        return []

    def footer(self, snap) -> list[tuple[str, str]]:
        """The bottom line: a prompt while typing or confirming, else the keys and the last notice."""
        if self.mode == "sell":
            return [("sell which code? ", "bold"), (self.code + "_", "bold reverse"),
                    ("  Enter to sell, Esc to cancel", "dim")]
        if self.mode == "confirm":
            held = len(snap.positions) if snap is not None else 0
            return [(f"Sell ALL {held} position(s) at market? ", "bold white on red"), ("y/n", "bold")]
        parts = [(HELP, "dim")]
        if self.notice:
            parts = [(self.notice, "bold yellow"), ("  ", ""), *parts]
        return parts
