"""The key state machine: what each key sends to the engine and shows in the footer."""

from __future__ import annotations

from kiwoom_cli.core import events as ev
from kiwoom_cli.ui.keys import BACKSPACE, ENTER, ESC, KeyPad, split_keys
from tests.ui.samples import state


def footer_text(pad: KeyPad, snap) -> str:
    return "".join(t for t, _ in pad.footer(snap))


def test_split_keys_drops_escape_sequences_and_names_specials():
    assert split_keys("s005930\r") == ["s", "0", "0", "5", "9", "3", "0", ENTER]
    assert split_keys("\x1b[A\x1bOPq\x1b[15~") == ["q"]  # arrow, F1, F5 dropped
    assert split_keys("\x1b") == [ESC]
    assert split_keys("ab\x7f\n") == ["a", "b", BACKSPACE, ENTER]


def test_pause_toggles_from_the_snapshot():
    pad = KeyPad()
    assert pad.press("p", state().snapshot()) == [ev.Pause()]
    assert pad.press("p", state(paused=True).snapshot()) == [ev.Resume()]


def test_sell_one_code_typed_then_enter():
    pad, snap = KeyPad(), state().snapshot()
    assert pad.press("s", snap) == []
    for key in "00066":
        assert pad.press(key, snap) == []
    assert "sell which code? 00066_" in footer_text(pad, snap)
    pad.press("x", snap)  # a letter while typing is part of a code, not sell-all
    pad.press(BACKSPACE, snap)
    assert pad.press("0", snap) == []
    assert pad.press(ENTER, snap) == [ev.SellCode("000660")]
    assert "selling 000660" in footer_text(pad, snap)


def test_sell_refuses_unknown_or_short_codes_and_esc_cancels():
    pad, snap = KeyPad(), state().snapshot()
    for key in ["s", *"123456", ENTER]:
        assert pad.press(key, snap) == []
    assert "no position in 123456" in pad.notice
    for key in ["s", *"123", ENTER]:
        assert pad.press(key, snap) == []
    assert "6 characters" in pad.notice
    pad.press("s", snap)
    pad.press(ESC, snap)
    assert pad.mode == "normal" and "cancelled" in pad.notice


def test_sell_all_asks_first():
    pad, snap = KeyPad(), state().snapshot()
    assert pad.press("x", snap) == []
    assert "Sell ALL 3 position(s)" in footer_text(pad, snap)
    assert pad.press("n", snap) == [] and "cancelled" in pad.notice
    pad.press("x", snap)
    assert pad.press("y", snap) == [ev.SellAll()]


def test_quit_stops_the_run_once():
    pad, snap = KeyPad(), state().snapshot()
    assert pad.press("q", snap) == [ev.StopRun()]
    assert pad.press("q", snap) == [] and pad.press("p", snap) == []
    assert "stopping" in footer_text(pad, snap)
