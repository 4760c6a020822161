"""Files written whole or not at all: a checkpoint goes to a hidden
temporary name first and is renamed over its path once complete, so a
kill at any moment leaves the old file or the new one, never a torn one.
"""
import os
import os.path as osp


def replace_atomically(tmp_path: str, path: str) -> None:
    """Move the finished ``tmp_path`` to ``path`` so that a crash at any
    moment leaves either the old file or the whole new one there."""
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp_path, path)
    try:  # the rename itself is durable once the folder is synced
        fd = os.open(osp.dirname(osp.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # folders cannot be synced on some filesystems
        pass


def temp_name(filename: str) -> str:
    """The hidden name a file is written under before its rename."""
    folder, base = osp.split(filename)
    return osp.join(folder, f'.{base}.tmp-{os.getpid()}')
