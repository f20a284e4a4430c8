"""Writing files safely: all-or-nothing, never over an existing file unless asked."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from collections.abc import Iterable


def refuse_existing(paths: Iterable[str | Path], force: bool = False) -> None:
    """Refuse to go on when any of ``paths`` exists, unless ``force``."""
    existing = [p for p in paths if Path(p).exists()]
    if existing and not force:
        raise KpiError(
            Problem(
                _("{paths} 已存在").format(paths="、".join(map(str, existing))),
                _("换一个 --out 文件夹，或加 --force 覆盖"),
                code="exists",
            )
        )


def write_atomically(outputs: dict[Path, Callable[[Path], object]], force: bool = False) -> None:
    """Write several files all-or-nothing.

    ``outputs`` maps each destination to a function writing to a given path.
    Everything is written to temporary files first and moved into place only
    when all succeeded. An existing file is never replaced unless ``force``.
    """
    refuse_existing(outputs, force)
    staged = []
    try:
        for dest, write in outputs.items():
            _make_folder(dest.parent)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
            os.close(fd)
            staged.append((Path(tmp), dest))
            try:
                write(Path(tmp))
            except OSError as exc:
                if exc.errno is None:  # not a file-system fault: the writer's own error
                    raise
                raise KpiError(
                    Problem(
                        _("无法写入 {path}（{reason}）").format(path=dest, reason=exc.strerror),
                        _(
                            "腾出磁盘空间或检查文件夹权限后重新运行；已有文件保持原样，"
                            "本次什么都没有写入"
                        ),
                        file=str(dest),
                        code="cannot_write",
                    )
                ) from None
        umask = os.umask(0)
        os.umask(umask)
        for tmp, dest in staged:
            tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; reports are meant to be shared
            os.replace(tmp, dest)
    finally:
        for tmp, _dest in staged:
            tmp.unlink(missing_ok=True)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
        raise KpiError(
            Problem(
                _("输出位置 {folder} 不是文件夹：{blocker} 是一个文件").format(
                    folder=folder, blocker=blocker
                ),
                _("用 --out 指向一个文件夹（不存在时会新建），或把这个文件移走"),
                file=str(blocker),
                code="not_a_folder",
            )
        ) from None
    except OSError as exc:
        raise KpiError(
            Problem(
                _("无法建立文件夹 {folder}（{reason}）").format(folder=folder, reason=exc.strerror),
                _("检查权限和磁盘空间，或用 --out 指向别处"),
                file=str(folder),
                code="cannot_write",
            )
        ) from None


def checksum(path: str | Path) -> tuple[str, int]:
    """``(sha256 hex, size in bytes)`` of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest(), Path(path).stat().st_size
