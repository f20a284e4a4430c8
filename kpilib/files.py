"""Writing files safely: all-or-nothing, never over an existing file unless asked."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from kpilib.errors import KpiError, Problem


def write_atomically(outputs: dict[Path, callable], force: bool = False) -> None:
    """Write several files all-or-nothing.

    ``outputs`` maps each destination to a function writing to a given path.
    Everything is written to temporary files first and moved into place only
    when all succeeded. An existing file is never replaced unless ``force``.
    """
    existing = [p for p in outputs if p.exists()]
    if existing and not force:
        raise KpiError(
            Problem(
                f"{', '.join(map(str, existing))} already exist(s)",
                "choose another --out directory, or pass --force to replace them",
            )
        )
    staged = []
    try:
        for dest, write in outputs.items():
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
            os.close(fd)
            staged.append((Path(tmp), dest))
            write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        for tmp, dest in staged:
            tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; reports are meant to be shared
            os.replace(tmp, dest)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def checksum(path: str | Path) -> tuple[str, int]:
    """``(sha256 hex, size in bytes)`` of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest(), Path(path).stat().st_size
