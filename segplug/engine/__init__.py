"""The run: loading a config as OpenMMLab tools do, the checks before the
first iteration (:mod:`.checks`), checkpoints (:mod:`.checkpoints`), the
device, the Runner and its hooks, and a trained model for inference
(:mod:`.inference`). What other rooms and the tools use is listed in
``__all__``; the modules below are this room's own.
"""
from .bf16_optim_wrapper import BF16OptimWrapper
from .checkpoints import install_checkpoint_allow_list
from .checkpoints.atomic import replace_atomically, temp_name
from .checkpoints.fit import Fit, measure_fit
from .checkpoints.hub import fetch_to_hub_cache, hub_cache_path
from .checkpoints.loading import load_from_local, missing_checkpoint
from .checkpoints.resume import resolve_resume, resume_candidates
from .checks import CHECKS, run_checks
from .checks.config.batch_size import check_batch_size
from .checks.config.cfg_options import RawCfgOptions, parse_cfg_options
from .checks.config.check import check_config
from .checks.config.reading import read_config
from .checks.data.check import check_data, leaf_dataset_cfgs
from .checks.data.colour_labels import find_colour_labels
from .checks.data.samples import DataCheckSummary
from .checks.pretrained import check_pretrained
from .config_types import config_scope, is_detection, type_name
from .device import adapt_to_device, enable_amp, sync_bn_to_bn
from .errors import (USER_ERRORS, CheckpointError, ConfigError, DataError,
                     DataNotFoundError, DeviceError, TrainingError,
                     UnsafeCheckpointError)
from .hooks import (AtomicCheckpointHook, FastInferenceHook, TrainingGuardHook,
                    add_training_guard, use_atomic_checkpoints)
from .inference.fast_path import (FastOptions, add_fast_inference_hook,
                                  fast_from_config, fast_options, make_fast)
from .inference.trained_model import (build_for_inference, load_trained_model,
                                      load_trained_weights)
from .segplug_runner import SegplugRunner
from .tool_runner import load_config, run, user_errors_exit

__all__ = [
    'AtomicCheckpointHook', 'BF16OptimWrapper', 'CHECKS', 'CheckpointError',
    'ConfigError', 'DataCheckSummary', 'DataError', 'DataNotFoundError',
    'DeviceError', 'FastInferenceHook', 'FastOptions', 'Fit', 'RawCfgOptions',
    'SegplugRunner', 'TrainingError', 'TrainingGuardHook', 'USER_ERRORS',
    'UnsafeCheckpointError', 'adapt_to_device', 'add_fast_inference_hook',
    'add_training_guard', 'build_for_inference', 'check_batch_size',
    'check_config', 'check_data', 'check_pretrained', 'config_scope',
    'enable_amp', 'fast_from_config', 'fast_options', 'fetch_to_hub_cache',
    'find_colour_labels', 'hub_cache_path', 'install_checkpoint_allow_list',
    'is_detection', 'leaf_dataset_cfgs', 'load_config', 'load_from_local',
    'load_trained_model', 'load_trained_weights', 'make_fast', 'measure_fit',
    'missing_checkpoint', 'parse_cfg_options', 'read_config',
    'replace_atomically', 'resolve_resume', 'resume_candidates', 'run',
    'run_checks', 'sync_bn_to_bn', 'temp_name', 'type_name',
    'use_atomic_checkpoints', 'user_errors_exit'
]
