"""Adapt a config to the machine it runs on.

A config written for GPUs (SyncBN, NCCL, one device per process) must also
run with the same launchers on a machine without one: there SyncBN becomes
BN, processes talk over gloo, and DDP wraps a CPU model.
"""
import os
import subprocess
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

from .errors import ConfigError, DeviceError

_SYNC_NORMS = ('SyncBN', 'MMSyncBN')


def sync_bn_to_bn(cfg) -> int:
    """Replace every SyncBN norm config under ``cfg`` by BN, in place.

    Returns the number of replacements.
    """
    count = 0
    if isinstance(cfg, dict):
        if cfg.get('type') in _SYNC_NORMS:
            cfg['type'] = 'BN'
            count += 1
        for value in cfg.values():
            count += sync_bn_to_bn(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += sync_bn_to_bn(value)
    return count


def _slurm_env() -> None:
    """Set torch's rendezvous variables from slurm's, as mmengine does."""
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def init_cpu_dist(launcher: str, timeout: Optional[float] = None) -> None:
    """Start a gloo process group for ``launcher`` ('pytorch' or 'slurm'),
    with ``timeout`` seconds for its collectives (torch's default if None).

    mmengine's own initialisation pins a CUDA device first, which a CPU-only
    torch cannot do; the Runner skips it once a group exists.
    """
    if dist.is_initialized():
        return
    if launcher == 'slurm':
        _slurm_env()
    elif launcher != 'pytorch':
        raise ConfigError("launcher without a GPU: expected 'none', 'pytorch' "
                          f"or 'slurm', got {launcher!r}")
    options = {} if timeout is None else dict(
        timeout=timedelta(seconds=timeout))
    dist.init_process_group(backend='gloo', **options)


# what each launcher's processes find in their environment
_LAUNCHER_ENV = {
    'pytorch': (('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
                'start it with tools/dist_train.sh CONFIG GPUS (torchrun)'),
    'slurm': (('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'),
              'start it with tools/slurm_train.sh (srun)'),
}


def check_launcher_env(launcher: str) -> None:
    """Refuse ``--launcher`` outside the launcher it names (e.g. ``pytorch``
    run as a plain ``python tools/train.py``), where torch would fail
    reading its rendezvous variables.

    Raises:
        ConfigError: naming the missing variables and the script to use.
    """
    if launcher not in _LAUNCHER_ENV:
        return
    names, how = _LAUNCHER_ENV[launcher]
    if launcher == 'slurm' and 'MASTER_ADDR' in os.environ:
        names = names[:2]  # the node list only finds MASTER_ADDR
    missing = [n for n in names if n not in os.environ]
    if missing:
        raise ConfigError(
            f'--launcher {launcher}: not started by its launcher (no '
            f'{", ".join(missing)} in the environment); {how}, or leave '
            'out --launcher for one process')


def start_process_group(cfg: Config) -> None:
    """Start the process group of ``cfg.launcher`` now rather than in the
    Runner (which then finds it running), so the checks before the run can
    share one verdict (:mod:`.shared_verdict`). NCCL and the config's
    ``env_cfg.dist_cfg`` with a GPU, gloo without."""
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or dist.is_initialized():
        return
    check_launcher_env(launcher)
    dist_cfg = dict((cfg.get('env_cfg') or {}).get('dist_cfg') or {})
    if not torch.cuda.is_available():
        init_cpu_dist(launcher, dist_cfg.get('timeout'))
        return
    from mmengine.dist import init_dist
    init_dist(launcher, **dist_cfg)


def adapt_to_device(cfg: Config) -> None:
    """Make ``cfg`` (with ``cfg.launcher`` set) runnable on this machine.

    With a GPU nothing changes. Without one, a distributed run uses gloo, BN
    instead of SyncBN and a DDP wrapper with no device ids, and its process
    group is started here.
    """
    launcher = cfg.get('launcher', 'none')
    if torch.cuda.is_available() or launcher == 'none':
        return
    sync_bn_to_bn(cfg.model)
    env_cfg = dict(cfg.get('env_cfg') or {})
    env_cfg['dist_cfg'] = dict(env_cfg.get('dist_cfg') or {}, backend='gloo')
    cfg.env_cfg = env_cfg
    cfg.model_wrapper_cfg = _cpu_model_wrapper(cfg)
    init_cpu_dist(launcher, env_cfg['dist_cfg'].get('timeout'))


def _cpu_model_wrapper(cfg: Config) -> dict:
    """The config's DDP wrapper, or mmengine's default one, without the
    device ids the Runner would otherwise fill in from LOCAL_RANK."""
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel
    wrapper = dict(
        cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper_type = wrapper.setdefault('type', 'MMDistributedDataParallel')
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    if isinstance(wrapper_type, type) and issubclass(wrapper_type,
                                                     DistributedDataParallel):
        wrapper['device_ids'] = None
    return wrapper


def enable_amp(cfg: Config) -> None:
    """Switch ``cfg``'s optimizer wrapper to mixed precision (``--amp``):
    mmengine's fp16 ``AmpOptimWrapper`` on a CUDA, NPU or MLU device, else
    bf16 autocast (:class:`.BF16OptimWrapper`) on a CPU with native bf16.
    """
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_npu_available)

    from .inference.fast_path import bf16_pays, native_bf16
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper in ('AmpOptimWrapper', 'BF16OptimWrapper'):
        return
    if wrapper != 'OptimWrapper':
        raise ConfigError('--amp: expected optim_wrapper type OptimWrapper, '
                          f'got {wrapper}')
    if is_cuda_available() or is_npu_available() or is_mlu_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
        return
    cpu = torch.device('cpu')
    if not native_bf16(cpu):
        raise DeviceError('--amp: no CUDA device, and this CPU has no native '
                          'bf16 (AVX512-BF16 or AMX); train without --amp')
    pays, why_not = bf16_pays(cpu)
    if not pays:
        from mmengine.logging import print_log
        print_log(
            f'--amp: {why_not}; training in bf16 as asked, expect it '
            'slower than without --amp',
            logger='current',
            level=30)
    cfg.optim_wrapper.type = 'BF16OptimWrapper'
