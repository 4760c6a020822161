from .bf16_optim_wrapper import BF16OptimWrapper
from .checkpoints import install_checkpoint_allow_list
from .checkpoints.fit import Fit, measure_fit
from .checkpoints.hub import fetch_to_hub_cache, hub_cache_path
from .checkpoints.loading import load_from_local
from .checkpoints.resume import resolve_resume, resume_candidates
from .checks.config.batch_size import check_batch_size
from .checks.config.check import check_config
from .checks.data.check import check_data, leaf_dataset_cfgs
from .checks.data.samples import DataCheckSummary
from .checks.pretrained import check_pretrained
from .device import adapt_to_device, enable_amp, sync_bn_to_bn
from .errors import (USER_ERRORS, CheckpointError, ConfigError, DataError,
                     DataNotFoundError, DeviceError, TrainingError,
                     UnsafeCheckpointError)
from .hooks import (AtomicCheckpointHook, TrainingGuardHook,
                    add_training_guard, use_atomic_checkpoints)
from .segplug_runner import SegplugRunner
from .tool_runner import load_config, run, user_errors_exit

__all__ = [
    'USER_ERRORS', 'AtomicCheckpointHook', 'BF16OptimWrapper',
    'CheckpointError', 'ConfigError', 'DataCheckSummary', 'DataError',
    'DataNotFoundError', 'DeviceError', 'Fit', 'SegplugRunner',
    'TrainingError', 'TrainingGuardHook', 'UnsafeCheckpointError',
    'adapt_to_device', 'add_training_guard', 'check_batch_size',
    'check_config', 'check_data', 'check_pretrained', 'enable_amp',
    'fetch_to_hub_cache', 'hub_cache_path', 'install_checkpoint_allow_list',
    'leaf_dataset_cfgs', 'load_config', 'load_from_local', 'measure_fit',
    'resolve_resume', 'resume_candidates', 'run', 'sync_bn_to_bn',
    'use_atomic_checkpoints', 'user_errors_exit'
]
