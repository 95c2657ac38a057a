"""Tests of the broker adapter (kiwoom_cli/kiwoom/)."""
