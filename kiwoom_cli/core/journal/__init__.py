"""The journal: what kiwoom remembers between runs, in one SQLite file per mode and account.

- writer.py: Journal, its write methods and batch() (one transaction per engine turn), and
  journal_path();
- reads.py: what a restart resumes from (Stored) and what commands show;
- schema.py: the tables, their version (`PRAGMA user_version`) and a migration per version;
- check.py: the checks when a journal opens (JournalError), set_aside() for `kiwoom journal reset`;
- checkpoint.py: the WAL checkpointer thread;
- legacy_ahead.py: the previous release's ahead file, committed or moved aside once, on open.
See docs/architecture.md §5.
"""

from kiwoom_cli.core.journal.check import JournalError
from kiwoom_cli.core.journal.reads import OPEN_STATUSES, JournalReads, Stored
from kiwoom_cli.core.journal.writer import CHECKPOINT_EVERY, Journal, journal_path

__all__ = ["CHECKPOINT_EVERY", "OPEN_STATUSES", "Journal", "JournalError", "JournalReads", "Stored", "journal_path"]
