"""Temporary files that hold personal data in full, which no crash may leave behind (CSA 7.8).

A report (or the rows `import --skip-bad` gives back, or a firm ledger's backup) is written under a
temporary name beside its target, and renamed into place only after its audit event is recorded.
A report's event holds the file's SHA-256, so it cannot come before the write, and it may wait for the
ledger's write lock: a `kill -9` or a power cut before the rename would leave a complete file of ID
numbers and phones with no event. So each such file is a *scratch* file:

- named `.<target name>.<random>.scratch`, created 0600, beside the target (a rename stays on one disk);
- locked (flock) by its writer from the moment it exists until the process ends;
- removed by the next run that writes into the same folder, before it writes anything, when its
  lock is free: its writer is gone. A scratch file still being written is locked, and left alone.

openpyxl streams each sheet through a temporary file of its own in the system's temporary folder;
those go into a scratch folder there (0700, locked the same way, swept the same way). Without file
locks (Windows), only leftovers a day old are removed. Files of earlier versions
(`.complaint-report-*.partial`, unlocked) are removed when they are older than this process.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

SUFFIX = ".scratch"
SHEETS_PREFIX = "complaintctl-sheets-"
_OURS = re.compile(r"\..+\.[a-z0-9_]{8}\.scratch|complaintctl-sheets-[a-z0-9_]{8}\.scratch")
_EARLIER = re.compile(r"\.complaint-report-.+\.[a-z0-9_]{8}\.partial")  # written unlocked by earlier versions
STARTED = time.time()  # this process's start, near enough: the module is imported before anything is written
_held: dict[str, int | None] = {}  # absolute path -> the open descriptor holding its lock


def file_beside(target: Path) -> Path:
    """A new, empty, locked scratch file (0600) beside `target`, after sweeping what killed runs left there."""
    _forget_gone()
    sweep(target.parent)
    while True:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=SUFFIX)
        if _lock(fd, name):
            return Path(name)


def release(path: Path) -> None:
    """Remove a scratch file or folder that is no longer needed (if still there), and drop its lock."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()
    finally:
        fd = _held.pop(os.path.abspath(path), None)
        if fd is not None:
            os.close(fd)


def folder_beside(target: Path) -> Path:
    """A new, empty, locked scratch folder (0700) beside `target`, after sweeping what killed runs left there:
    for a copy that is more than one file while it is made (an SQLite file and its journal)."""
    _forget_gone()
    sweep(target.parent)
    return _locked_folder(target.parent, f".{target.name}.")


@contextmanager
def private_sheets() -> Iterator[Path]:
    """openpyxl's temporary sheet files (full data, written row by row) in a locked scratch folder, removed after."""
    base = Path(tempfile.gettempdir())
    sweep(base)
    folder = str(_locked_folder(base, SHEETS_PREFIX))
    previous, tempfile.tempdir = tempfile.tempdir, folder  # openpyxl asks tempfile for a name, in no folder of its own
    try:
        yield Path(folder)
    finally:
        tempfile.tempdir = previous
        release(Path(folder))


def _locked_folder(base: Path, prefix: str) -> Path:
    while True:
        folder = tempfile.mkdtemp(dir=base, prefix=prefix, suffix=SUFFIX)  # 0700
        if _lock(os.open(folder, os.O_RDONLY) if fcntl is not None else None, folder):
            return Path(folder)


def sweep(folder: Path) -> int:
    """Remove, in `folder`, the scratch files and folders of runs that are gone. Returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        ours = _OURS.fullmatch(entry.name)
        if not ours and not _EARLIER.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.geteuid() or not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                continue  # someone else's, or a link: never ours to remove
            if os.path.abspath(entry.path) in _held or not ours and info.st_mtime >= STARTED:
                continue
            fd = _unless_held(entry.path, info) if ours else None
            if ours and fd is False:
                continue
            try:  # removed while its lock is ours: a writer that made it a moment ago takes another
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed += 1
            finally:
                if fd is not None:
                    os.close(fd)
        except OSError:
            continue
    return removed


def _unless_held(path: str, info: os.stat_result):
    """The scratch file or folder locked for removal (an open descriptor; None without file locks), or
    False while its writer still holds it."""
    if fcntl is None:
        return None if time.time() - info.st_mtime > 86400 else False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
            return fd
    except OSError:
        pass  # held: still being written
    os.close(fd)
    return False


def _lock(fd: int | None, name: str) -> bool:
    """Lock a new scratch file or folder and hold it; False (and closed) if a sweep removed it in the instant before."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if not os.path.samestat(os.fstat(fd), os.stat(name, follow_symlinks=False)):
                raise FileNotFoundError(name)
        except FileNotFoundError:
            os.close(fd)
            return False
    _held[os.path.abspath(name)] = fd
    return True


def _forget_gone() -> None:
    """Drop the locks of scratch files that were renamed into place or removed (many reports in one process)."""
    for name in [name for name in _held if not os.path.lexists(name)]:
        fd = _held.pop(name)
        if fd is not None:
            os.close(fd)
