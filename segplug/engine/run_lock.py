"""One training run per work dir.

Two runs on one work dir overwrite each other's checkpoints, logs and
``last_checkpoint``. The lock is an ``flock`` on a file in the work dir,
which the system releases when its process ends however it ends, so a
crashed run leaves nothing stuck; the file's text names the holder.
"""
import datetime
import fcntl
import os
import os.path as osp
import socket
import sys
from typing import Optional, TextIO

from .errors import ConfigError

LOCK_FILE = '.segplug-train.lock'
_held: Optional[TextIO] = None


def lock_work_dir(work_dir: str) -> None:
    """Hold ``work_dir``'s training lock for the life of this process.

    Raises:
        ConfigError: another live run holds it; the message names it.
    """
    global _held
    path = osp.join(work_dir, LOCK_FILE)
    os.makedirs(work_dir, exist_ok=True)
    handle = open(path, 'a+')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or 'another process'
        handle.close()
        raise ConfigError(
            f'work_dir {work_dir} is in use by another training run '
            f'({holder}); wait for it to end, or give another --work-dir'
        ) from None
    handle.seek(0)
    handle.truncate()
    started = datetime.datetime.now().isoformat(timespec='seconds')
    handle.write(f'pid {os.getpid()} on {socket.gethostname()}, started '
                 f'{started}: {" ".join(sys.argv)}\n')
    handle.flush()
    if _held is not None:
        _held.close()
    _held = handle


def unlock_work_dir() -> None:
    """Let the lock go (the process ending does the same)."""
    global _held
    if _held is not None:
        _held.close()
        _held = None
