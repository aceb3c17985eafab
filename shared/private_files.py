"""Secret files: created readable by their owner only (0600) from the first byte."""

from __future__ import annotations

import os
from pathlib import Path


def create_private_file(path: Path, data: bytes) -> bool:
    """Write `data` to a new file of mode 0600; return False (untouched) if it exists.

    The mode is set when the file is created, never by a chmod afterwards: a process stopped
    in between would leave a key anybody on the machine could read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # whatever the umask, exactly owner read/write
        file.write(data)
    return True
