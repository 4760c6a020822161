"""What segplug train and segplug test share: load a config as OpenMMLab
tools do, then run the checks, adapt to the device and run the Runner."""
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Dict, Iterable, Optional, Tuple

from mmengine.config import Config

from ..recipes import ConfigNotFoundError, resolve_config
from .checkpoints.resume import resolve_resume
from .checks import run_checks
from .checks.config.cfg_options import parse_cfg_options
from .checks.config.reading import read_config
from .checks.work_dir import check_work_dir
from .device import adapt_to_device, start_process_group
from .errors import USER_ERRORS, ConfigError
from .hooks.atomic_checkpoint_hook import use_atomic_checkpoints
from .hooks.training_guard_hook import add_training_guard
from .run_lock import lock_work_dir, unlock_work_dir
from .segplug_runner import SegplugRunner


class _FormatOnceConfig(Config):
    """A ``Config`` that formats its ``pretty_text`` once per content.

    mmengine formats the whole config with yapf (0.2-0.3 s on this
    project's configs) whenever it is asked: a training run asks to log
    it, to dump it twice, at the start of the loop and in every checkpoint.
    The text is kept per content, so an edited config is formatted anew.
    """
    _texts: Dict[Tuple[str, bool], str] = {}

    @property
    def pretty_text(self) -> str:
        key = (repr(self._cfg_dict), self._format_python_code)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) >= 8:
                self._texts.clear()
            text = self._texts[key] = super().pretty_text
        return text


def load_config(path: str,
                launcher: str = 'none',
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read ``path`` (a file, or a packaged config's name:
    :func:`segplug.recipes.resolve_config`), apply ``--cfg-options`` and
    pick the work dir (``--work-dir``, else the config's, else
    ``work_dirs/<config name>``)."""
    try:
        path = resolve_config(path)
    except ConfigNotFoundError as err:
        raise ConfigError(str(err)) from None
    cfg = read_config(path)
    # Config.__setattr__ writes config keys; set the class itself
    object.__setattr__(cfg, '__class__', _FormatOnceConfig)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(parse_cfg_options(cfg, cfg_options))
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    # '~' is the shell's: left as it is, a literal ./~ folder is made
    cfg.work_dir = osp.expanduser(cfg.work_dir)
    return cfg


def run(cfg: Config, method: str, loaders: Iterable[str]):
    """Start the launcher's process group, run the checks of ``method``
    ('train' or 'test') on the data of ``loaders`` (:data:`.checks.CHECKS`),
    prepare ``cfg`` (resume, guards, atomic checkpoints, this machine),
    build the Runner (or the config's ``runner_type``) and call
    ``method``."""
    from mmengine.dist import get_rank
    from mmengine.registry import RUNNERS
    start_process_group(cfg)
    check_work_dir(cfg)
    locked = method == 'train' and get_rank() == 0 and '://' not in str(
        cfg.work_dir)
    if locked:
        lock_work_dir(cfg.work_dir)
    try:
        run_checks(cfg, method, loaders)
        if method == 'train':
            resolve_resume(cfg)
            add_training_guard(cfg)
        use_atomic_checkpoints(cfg)
        adapt_to_device(cfg)
        runner = (
            SegplugRunner.from_cfg(cfg)
            if 'runner_type' not in cfg else RUNNERS.build(cfg))
        try:
            return getattr(runner, method)()
        finally:
            _stop_loader_workers(runner)
    finally:
        if locked:
            unlock_work_dir()


def _stop_loader_workers(runner) -> None:
    """Stop the persistent workers of the run's data loaders now: left to
    the garbage collector, each waits seconds to shut down, later, in
    whatever runs next in the process (a notebook, a test)."""
    # the loops build the loaders that run; the runner's own attributes
    # stay the configs they were built from
    loaders = [
        getattr(runner, name, None)
        for name in ('_train_dataloader', '_val_dataloader',
                     '_test_dataloader')
    ]
    loaders += [
        getattr(getattr(runner, name, None), 'dataloader', None)
        for name in ('_train_loop', '_val_loop', '_test_loop')
    ]
    for loader in loaders:
        iterator = getattr(loader, '_iterator', None)
        if iterator is not None and hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()
            loader._iterator = None


@contextmanager
def user_errors_exit():
    """Turn the errors a user can act on into one line and exit status 1
    (128 + the signal's number for a run a signal stopped)."""
    try:
        yield
    except USER_ERRORS as err:
        code = getattr(err, 'exit_code', None)
        if code is None:
            sys.exit(f'error: {err}')
        print(f'error: {err}', file=sys.stderr)
        sys.exit(code)
    except KeyboardInterrupt:
        # the second Ctrl-C of a training run, or one outside training
        print(
            'error: interrupted; stopped without saving (a training run '
            'resumes from its last checkpoint with --resume)',
            file=sys.stderr)
        sys.exit(130)
