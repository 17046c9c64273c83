"""The places a command writes to, checked before it starts working.

A build that computes for two hours and then cannot write its folder has wasted two hours, so
every command that writes (``curves``, ``train``, ``data build``, ``data export``, ``scale``)
checks its output first: a regular file where a folder is wanted, a folder where a file is
wanted, a place that cannot be created or written (``/proc/x``, ``/sys/x``, a read-only disk) is
one line and exit code 2 before any work. Writability is tested by writing, not with
``os.access``, which says yes to root on ``/sys`` and knows nothing of read-only mounts.

Also here: the name rule of data sets (a name becomes a folder under ``$ASTRAY_HOME``) and the
lock that keeps two processes out of one run folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astray.errors import AstrayError, DatasetError

#: A data-set name: one folder name, no path separators, no leading dot (so no ``..``).
DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: The lock file inside a folder held by :func:`folder_lock`.
LOCK_FILE = ".astray.lock"


class OutputPathError(AstrayError):
    """An output folder or file that cannot be created or written, or one in use."""


def writable_folder(path: str | Path, option: str = "--out", *, create: bool = True) -> Path:
    """``path`` as a folder this process can write into, created unless ``create`` is False.

    With ``create=False`` (for commands that refuse an existing folder, such as ``data build``)
    nothing is created: the nearest existing folder above ``path`` must be writable instead.
    Raises :class:`OutputPathError` naming ``option`` (e.g. ``--out``, ``ASTRAY_HOME``).
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{option} {path} is a file, not a folder: give a folder")
    _prepare(path, option, path, create)
    return path


def writable_file(path: str | Path, option: str = "OUT") -> Path:
    """``path`` as a file this process can write (its folder created); a folder is refused."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder: give a file name, e.g. "
                              f"{path / 'structures.extxyz'}")
    _prepare(path.parent, option, path, create=True)
    return path


def _prepare(folder: Path, option: str, wanted: Path, create: bool) -> None:
    """Create ``folder`` (if asked) and write a temporary file in it, or in its nearest existing
    parent; errors name ``option`` and ``wanted``, the path the user gave."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise OutputPathError(f"{option} {wanted}: {existing} is a file, not a folder")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputPathError(f"{option} {wanted}: cannot create the folder {folder} "
                                  f"({error.strerror or error})") from None
        existing = folder
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise OutputPathError(f"{option} {wanted}: cannot write in {existing} "
                              f"({error.strerror or error})") from None


def check_dataset_name(name: str) -> str:
    """``name`` if it can name a data set: letters, digits, '.', '_' and '-', not starting with
    a dot (so it stays one folder under ``$ASTRAY_HOME``), and not a shipped data set's name."""
    from astray.data.dataset import shipped_root

    if not DATASET_NAME.fullmatch(name):
        raise DatasetError(f"data set name {name!r}: use letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit")
    if (shipped_root() / name).exists():
        raise DatasetError(f"{name!r} is a data set shipped with astray; choose another name")
    return name


@contextmanager
def folder_lock(folder: str | Path, holder: str) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` while the block runs; another process asking for it
    gets :class:`OutputPathError` at once ("in use by ``holder``, process N").

    The lock is ``flock`` on ``folder/.astray.lock``: the kernel drops it when the process
    ends, however it ends, so a killed run (even SIGKILL) never leaves a stale lock. The file
    itself stays (it only names the last holder). It is opened with ``O_NOFOLLOW`` and must be
    a plain file of its own: a link (or a hard link, a FIFO) planted there in a copied folder is
    one line, never truncated or written through.
    """
    folder = Path(folder)
    handle = _open_lock_file(folder / LOCK_FILE)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            raise OutputPathError(f"{folder} is in use by {owner}; wait for it to finish or "
                                  "choose another folder") from None
        handle.truncate(0)
        handle.write(f"{holder}, process {os.getpid()}\n")
        handle.flush()
        yield folder
    finally:
        handle.close()


def _open_lock_file(path: Path):
    """``path`` opened for reading and writing, created if absent, refused (one line) if it is a
    symbolic link or anything but a plain file with one name."""
    flags = (os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
             | getattr(os, "O_CLOEXEC", 0))
    try:
        descriptor = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OutputPathError(f"{path} is a symbolic link: astray writes no file through a "
                                  "link (a copied folder may carry one); remove the link") from None
        raise OutputPathError(f"cannot open the lock file {path} "
                              f"({error.strerror or error})") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(descriptor)
        what = "has other names (hard links)" if stat.S_ISREG(info.st_mode) else \
            "is not a plain file"
        raise OutputPathError(f"{path} {what}: astray writes no file shared with another "
                              "place; remove it")
    return os.fdopen(descriptor, "r+", encoding="utf-8", errors="replace")
