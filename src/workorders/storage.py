"""Where attachment bytes live: one small interface, and a directory that replicas share as a volume.

Files are named by key (the attachment's id), never by anything a caller sent. A write goes to a
temporary file in the target folder and is renamed into place, so a reader on any replica sees either
nothing or the whole file, never half of one.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from workorders.config import Settings

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes:
        """The bytes under `key`; raises KeyError when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove `key`; removing what is not there is not an error."""
        ...


class DirectoryStorage:
    """Files under `root`, fanned out by the key's last two characters so no folder grows huge."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> DirectoryStorage:
        return cls(Path(settings.data_dir) / "attachments")

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or key.startswith("."):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key[-2:] / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self.path(key), data)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.delete_now, key)

    def delete_now(self, key: str) -> None:
        """The blocking delete, for callers outside the event loop (transaction hooks)."""
        self.path(key).unlink(missing_ok=True)

    def listing(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its modification time (blocking: run it in a thread)."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for file in folder.iterdir():
                if file.is_file() and not file.name.startswith("."):
                    yield file.name, file.stat().st_mtime

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Dot-named, so that `keys()` never reports a write still in progress.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
