"""Writing files whole or not at all, and never over a user's file without ``--force``.

Every file exoreason writes goes to a temporary file in the target's directory first and is
renamed into place when complete, so an error or an interrupt leaves the previous file (or none).
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import InputError

__all__ = ["atomic_text", "check_writable", "write_files_atomically", "write_output"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: Path, force: bool = False) -> Path:
    """The directory ``path`` would be written in; an error if it exists (without ``force``) or
    its directory does not."""
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: directory {parent} does not exist")
    return parent


@contextmanager
def _atomic(path: Path, force: bool, binary: bool) -> Iterator[IO[Any]]:
    """A handle whose content replaces ``path`` only when the block ends without an error."""
    parent = check_writable(path, force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_text(path: Path, force: bool = False) -> Iterator[IO[str]]:
    """A text handle whose content replaces ``path`` only when the block ends without an error."""
    with _atomic(path, force, binary=False) as handle:
        yield handle


def write_output(path: Path, data: bytes, force: bool = False) -> None:
    """Write a user's output file whole or not at all; never overwrite without ``force``."""
    with _atomic(path, force, binary=True) as handle:
        handle.write(data)


def write_files_atomically(contents: Mapping[Path, bytes]) -> None:
    """Write several files together: each to a temporary file first, then all renamed into place
    with SIGINT and SIGTERM held back, so an interrupt leaves all the old files or all the new."""
    staged: list[tuple[Path, Path]] = []
    mode = 0o666 & ~_umask()
    try:
        for target, data in contents.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((Path(tmp), target))  # at once, so an interrupt while it is written removes it
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        with _signals_held((signal.SIGINT, signal.SIGTERM)):
            for tmp_path, target in staged:
                os.replace(tmp_path, target)
    finally:
        for tmp_path, _ in staged:
            if tmp_path.exists():
                tmp_path.unlink()


@contextmanager
def _signals_held(signals: tuple[signal.Signals, ...]) -> Iterator[None]:
    """Hold the signals back while the block runs, and deliver them after it.

    In the main thread their handlers are swapped for one that notes them (a Python handler runs
    in the main thread whichever thread the system delivered the signal to, so this holds against
    every thread); elsewhere the thread's signal mask blocks them.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        return
    received: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if received:
            signal.raise_signal(received[0])
