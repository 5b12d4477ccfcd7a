"""Small files written so that a crash, Ctrl-C or a full disk at any moment leaves either the old
file or the new one, whole: written to a temporary name beside it, flushed to the disk, renamed
over, and the folder flushed too (else the rename itself can be lost in a power cut).

Every step passes a named fault point (`point`), where the fault tests crash the process or inject
an error; in normal use a point costs one function call."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# Set only by tests: called with the point's name before the step, may raise or kill the process.
fault_hook = None


def point(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


def fsync_folder(folder: Path, label: str = "") -> None:
    """Make a rename or unlink in the folder durable. Not every system can open a folder (Windows)."""
    point(f"fsync-mappe:{label}")
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the rename is still atomic
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, label: str = "", mode: int = 0o600) -> None:
    """Replace path with data, whole or not at all (mode 0600 before the first byte)."""
    temporary = path.with_name(path.name + ".tmp")
    point(f"åbn:{label}")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            point(f"skriv:{label}")
            handle.write(data)
            handle.flush()
            point(f"fsync:{label}")
            os.fsync(handle.fileno())
        point(f"omdøb:{label}")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the cleanup must not hide the failure itself
            temporary.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent, label)


def replace(source: Path, target: Path, label: str = "") -> None:
    point(f"omdøb:{label}")
    os.replace(source, target)
    fsync_folder(target.parent, label)


def unlink(path: Path, label: str = "") -> None:
    point(f"slet:{label}")
    path.unlink(missing_ok=True)


def fsync_file(path: Path, label: str = "") -> None:
    point(f"fsync:{label}")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def held(lock_file: Path, wait: bool = True):
    """An exclusive lock between rettidig processes (a key switch, and the tidying up after one
    that was cut short), on a small file that is never deleted. Yields False if wait=False and
    another process holds it. The system releases it if the process dies, kill -9 included."""
    fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            except OSError:
                yield False
                return
            yield True
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def publish_new(source: Path, target: Path, label: str = "") -> None:
    """Give a finished temporary file its name, never replacing a file that appeared there in the
    meantime: a hard link fails if the name is taken. Where hard links cannot be made (FAT,
    some network drives), the name is reserved with O_EXCL and the file renamed onto that."""
    import errno

    point(f"link:{label}")
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
                             errno.ENOSYS, errno.EACCES):
            raise
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # FileExistsError if taken
        replace(source, target, label)
        return
    unlink(source, label)
    fsync_folder(target.parent, label)
