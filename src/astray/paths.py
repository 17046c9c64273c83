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
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astray.errors import AstrayError

#: A data-set name: one folder name, no path separators, no leading dot (so no ``..``).
#: The lock file inside a folder held by :func:`folder_lock`.
LOCK_FILE = ".astray.lock"
#: The longest name of one file or folder (bytes) on Linux's file systems (ext4, xfs, btrfs,
#: tmpfs: NAME_MAX); a longer one is ENAMETOOLONG, said in one line before any work.
NAME_MAX = 255


class OutputPathError(AstrayError):
    """An output folder or file that cannot be created or written, or one in use."""


def writable_folder(path: str | Path, option: str = "--out", *, create: bool = True) -> Path:
    """``path`` as a folder this process can write into, created unless ``create`` is False.

    With ``create=False`` (for commands that refuse an existing folder, such as ``data build``)
    nothing is created: the nearest existing folder above ``path`` must be writable instead.
    Raises :class:`OutputPathError` naming ``option`` (e.g. ``--out``, ``ASTRAY_HOME``).
    """
    path = Path(path).expanduser()
    _check_names(path, option)
    if _exists(path, option) and not path.is_dir():
        raise OutputPathError(f"{option} {path} is a file, not a folder: give a folder")
    _prepare(path, option, path, create)
    return path


def writable_file(path: str | Path, option: str = "OUT") -> Path:
    """``path`` as a file this process can write (its folder created); a folder is refused."""
    path = Path(path).expanduser()
    _check_names(path, option)
    if _exists(path, option) and path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder: give a file name, e.g. "
                              f"{path / 'structures.extxyz'}")
    _prepare(path.parent, option, path, create=True)
    return path


def _check_names(path: Path, option: str) -> None:
    """Refuse a path with a name longer than :data:`NAME_MAX` bytes (one line, not the
    ``OSError: [Errno 36] File name too long`` traceback of the first ``stat``)."""
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            raise OutputPathError(f"{option}: the name {part[:24]}... is {size} bytes long; a "
                                  f"file or folder name can be at most {NAME_MAX}: give a "
                                  "shorter one")


def _exists(path: Path, option: str) -> bool:
    """``path.exists()``, with an error of the file system (a path too long as a whole, a
    folder that cannot be searched) as one line naming ``option``."""
    try:
        return path.exists()
    except OSError as error:
        raise OutputPathError(f"{option} {_shown(path)}: {error.strerror or error}") from None


def _shown(path: Path) -> str:
    """``path`` for a message: a very long one is cut in the middle."""
    text = str(path)
    return text if len(text) <= 160 else f"{text[:70]}...{text[-70:]}"


def _prepare(folder: Path, option: str, wanted: Path, create: bool) -> None:
    """Create ``folder`` (if asked) and write a temporary file in it, or in its nearest existing
    parent; errors name ``option`` and ``wanted``, the path the user gave."""
    existing = next(p for p in (folder, *folder.parents) if _exists(p, option))
    if not existing.is_dir():
        raise OutputPathError(f"{option} {wanted}: {existing} is a file, not a folder")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputPathError(f"{option} {_shown(wanted)}: cannot create the folder "
                                  f"({error.strerror or error})") from None
        existing = folder
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise OutputPathError(f"{option} {_shown(wanted)}: cannot write in {_shown(existing)} "
                              f"({error.strerror or error})") from None


@contextmanager
def folder_lock(folder: str | Path, holder: str) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` while the block runs; another process asking for it
    gets :class:`OutputPathError` at once ("in use by ``holder``, process N").

    The lock is ``flock`` on ``folder/.astray.lock``: the kernel drops it when the process
    ends, however it ends, so a killed run (even SIGKILL) never leaves a stale lock (the file
    of a killed run stays, naming its last holder, and is taken over by the next run). A run
    that ends normally removes the file, while still holding the lock, so finished run folders
    hold no ``.astray.lock``. That is safe because a process that wins the lock checks that the
    file it locked is still the one at ``folder/.astray.lock`` (same inode) and starts again
    otherwise: a process that opened the file just before it was removed never holds a lock
    on a file nobody else can see. The file is opened with ``O_NOFOLLOW`` and must be a plain
    file of its own: a link (or a hard link, a FIFO) planted there in a copied folder is one
    line, never truncated or written through.
    """
    folder = Path(folder)
    path = folder / LOCK_FILE
    for _ in range(100):
        handle = _open_lock_file(path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise OutputPathError(f"{folder} is in use by {owner}; wait for it to finish or "
                                  "choose another folder") from None
        if _same_file(handle, path):
            break
        handle.close()  # removed (or replaced) by the holder that just finished: try again
    else:
        raise OutputPathError(f"cannot take the lock {path}: it keeps being replaced")
    try:
        handle.truncate(0)
        handle.write(f"{holder}, process {os.getpid()}\n")
        handle.flush()
        yield folder
    finally:
        if _same_file(handle, path):  # removed while locked: see above
            path.unlink(missing_ok=True)
        handle.close()


def _same_file(handle, path: Path) -> bool:
    """Whether ``path`` (not followed) is the file open as ``handle``."""
    try:
        here = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(handle.fileno())
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


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
