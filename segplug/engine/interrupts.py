"""Ctrl-C and SIGTERM during training: finish the iteration, save a
checkpoint, say so in one line.

A scheduler sends SIGTERM some time before it kills a job, and Ctrl-C is
SIGINT. Either one sets a flag; :class:`InterruptHook` stops the loop at
the end of the iteration in progress and saves a checkpoint there, and
the run ends with :class:`Interrupted`, which the tools print as one line
naming the checkpoint and the command that resumes it. A second Ctrl-C
stops at once, without saving. The handlers are installed before the data
loader starts its workers, which inherit them: a worker hit by the same
Ctrl-C keeps working instead of dying under the main process.

In a distributed run every rank stops at the same iteration: the flags
are reduced across the process group after each iteration.
"""
import signal
import threading
from contextlib import contextmanager
from typing import Dict, Optional

import torch
import torch.distributed as dist
from mmengine.hooks import CheckpointHook, Hook

from .errors import TrainingError

_NAMES = {signal.SIGINT: 'Ctrl-C (SIGINT)', signal.SIGTERM: 'SIGTERM'}


class Interrupted(TrainingError):
    """Training stopped on a signal, after saving a checkpoint."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = 128 + signum


class _Flag:
    signum: Optional[int] = None


FLAG = _Flag()


def _ignore(signum, frame) -> None:
    pass


@contextmanager
def signals_to_flag():
    """SIGINT and SIGTERM set :data:`FLAG` while the block runs (in the
    main thread only, where Python delivers signals); a second SIGINT
    raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: Dict[int, object] = {}

    def handler(signum, frame):
        if FLAG.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        FLAG.signum = signum
        # A SIGTERM sent to the whole job kills the loaders' workers too,
        # and torch's SIGCHLD handler would raise their deaths in the
        # middle of this iteration; a worker's death now is expected, and a
        # loader that needs it says so where it fetches, between
        # iterations.
        signal.signal(signal.SIGCHLD, _ignore)

    FLAG.signum = None
    for signum in _NAMES:
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _agreed_signal() -> Optional[int]:
    """:data:`FLAG`'s signal, or the first rank's that has one."""
    signum = FLAG.signum
    if not (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1):
        return signum
    from mmengine.dist import all_reduce  # on the backend's device
    flag = torch.tensor([signum or 0], dtype=torch.int64)
    all_reduce(flag, op='max')
    return int(flag.item()) or None


class InterruptHook(Hook):
    """Stop the loop after the iteration in which a signal came, with a
    checkpoint of it (through the run's CheckpointHook, as its interval
    saves would be); runs after every other hook of the iteration."""

    # A worker killed by the job's SIGTERM: the loader raises this where it
    # fetches the next batch
    WORKER_DIED = 'DataLoader worker'

    priority = 'VERY_LOW'

    def __init__(self):
        self.saved: Optional[str] = None
        self.signum: Optional[int] = None

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        signum = _agreed_signal()
        if signum is not None:
            self._save_and_stop(runner, signum)

    def _save_and_stop(self, runner, signum: int) -> None:
        self.signum = signum
        step = runner.iter + 1
        hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                    None)
        if hook is not None:
            # its own interval may have saved this very iteration
            if not str(runner.message_hub.get_info('last_ckpt', '')).endswith(
                    hook.filename_tmpl.format(step)):
                hook._save_checkpoint(runner)
            self.saved = runner.message_hub.get_info('last_ckpt')
        else:
            runner.save_checkpoint(runner.work_dir, f'iter_{step}.pth')
            self.saved = f'{runner.work_dir}/iter_{step}.pth'
        runner.train_loop.stop_training = True

    @classmethod
    def loader_died(cls, err: BaseException) -> bool:
        """Whether ``err``, raised by the train loop after a signal came,
        is a loader's worker killed by that signal: torch names the worker
        in a RuntimeError, or, when the worker dies while handing a batch
        over, the pipe breaks (ConnectionError, EOFError)."""
        if FLAG.signum is None:
            return False
        if isinstance(err, RuntimeError):
            return cls.WORKER_DIED in str(err)
        return isinstance(err, (ConnectionError, EOFError))

    def save_between_iterations(self, runner) -> None:
        """The checkpoint of the last whole iteration, for a loop that a
        loader's dead worker ended between iterations."""
        if self.saved is not None:
            return
        loop = runner.train_loop
        loop._iter -= 1  # as the hooks of that iteration saw it
        try:
            self._save_and_stop(runner, FLAG.signum)
        finally:
            loop._iter += 1

    def outcome(self, runner) -> Interrupted:
        """The one-line end of the stopped run."""
        name = _NAMES.get(self.signum, f'signal {self.signum}')
        return Interrupted(
            f'{name} at iteration {runner.iter}/{runner.max_iters}: saved '
            f'{self.saved}; resume with the same command and --resume',
            self.signum)
