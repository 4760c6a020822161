"""What tools/train.py and tools/test.py share: load a config as OpenMMLab
tools do, then check data, adapt to the device and run the Runner."""
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Iterable, Optional

from mmengine.config import Config

from .data_check import check_data, check_pretrained
from .device import adapt_to_device
from .errors import USER_ERRORS


def load_config(path: str,
                launcher: str = 'none',
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read ``path``, apply ``--cfg-options`` and pick the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config name>``)."""
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return cfg


def run(cfg: Config, method: str, loaders: Iterable[str]):
    """Check the data of ``loaders``, adapt ``cfg`` to this machine, build
    the Runner (or the config's ``runner_type``) and call ``method``."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    check_data(cfg, loaders)
    if method == 'train':
        check_pretrained(cfg)
    adapt_to_device(cfg)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    return getattr(runner, method)()


@contextmanager
def user_errors_exit():
    """Turn the errors a user can act on into one line and exit status 1."""
    try:
        yield
    except USER_ERRORS as err:
        sys.exit(f'error: {err}')
