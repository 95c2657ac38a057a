"""Where files live (docs/decisions.md §3). Directories 0700, files 0600."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """Return (and create, 0700) the state directory: $KIWOOM_HOME or the platform's user state dir."""
    home = os.environ.get("KIWOOM_HOME")
    if home:
        path = Path(home).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_state_dir("kiwoom"))
    return ensure_private_dir(path)


def ensure_private_dir(path: Path) -> Path:
    """Create a directory readable by the user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.chmod(0o700)
    except OSError:  # e.g. a filesystem without modes; nothing secret is lost by carrying on
        pass
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace a file with 0600 permissions."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
