"""A write-ahead journal for fact rows: durable acknowledgements without a DuckDB commit each.

Rows are appended as CRC-checked frames to numbered segment files and made durable with one
fdatasync per batch (group commit). The writer later applies whole segments to DuckDB in one
transaction that also records the segment numbers, then deletes the files; on start-up every
segment not recorded as applied is replayed. A torn frame at the tail (a crash mid-write) ends
the segment: it was never acknowledged, so dropping it loses nothing that was promised.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

_HEADER = struct.Struct(">II")  # payload length, crc32 of the payload
_SUFFIX = ".journal"


class Journal:
    def __init__(self, directory: Path, *, after: int = 0):
        """Opens a new segment numbered after every file on disk and after `after` (the highest
        number ever applied: an emptied directory must not reuse numbers the database remembers)."""
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        existing = self.segments()
        self.current = max(existing[-1] if existing else 0, after) + 1
        self._fd = self._open(self.current)

    def _path(self, number: int) -> Path:
        return self.directory / f"{number:012d}{_SUFFIX}"

    def _open(self, number: int) -> int:
        fd = os.open(self._path(number), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fsync_directory(self.directory)
        return fd

    def segments(self) -> list[int]:
        """Numbers of the segment files on disk, oldest first."""
        return sorted(int(p.name.removesuffix(_SUFFIX)) for p in self.directory.glob(f"*{_SUFFIX}"))

    def append(self, payload: bytes) -> None:
        os.write(self._fd, _HEADER.pack(len(payload), zlib.crc32(payload)) + payload)

    def sync(self) -> None:
        os.fdatasync(self._fd)

    def rotate(self) -> list[int]:
        """Start a new segment; returns every older segment number (all ready to apply)."""
        os.fdatasync(self._fd)
        os.close(self._fd)
        self.current += 1
        self._fd = self._open(self.current)
        return [n for n in self.segments() if n < self.current]

    def read(self, number: int) -> Iterator[bytes]:
        """The intact frames of a segment, in order; stops at the first torn or corrupt frame."""
        data = self._path(number).read_bytes()
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, crc = _HEADER.unpack_from(data, offset)
            start, end = offset + _HEADER.size, offset + _HEADER.size + length
            if end > len(data) or zlib.crc32(data[start:end]) != crc:
                return
            yield data[start:end]
            offset = end

    def remove(self, numbers: list[int]) -> None:
        for number in numbers:
            self._path(number).unlink(missing_ok=True)
        fsync_directory(self.directory)

    def close(self) -> None:
        os.fdatasync(self._fd)
        os.close(self._fd)
        path = self._path(self.current)
        if path.stat().st_size == 0:  # nothing was written since the last rotation
            path.unlink()
            fsync_directory(self.directory)


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (a created, renamed or removed file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
