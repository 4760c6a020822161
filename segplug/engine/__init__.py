from .checkpoint import install_checkpoint_allow_list, load_from_local
from .data_check import check_data, check_pretrained, leaf_dataset_cfgs
from .device import adapt_to_device, enable_amp, sync_bn_to_bn
from .errors import (USER_ERRORS, ConfigError, DataError, DataNotFoundError,
                     DeviceError, UnsafeCheckpointError)
from .tool_runner import load_config, run, user_errors_exit

__all__ = [
    'ConfigError', 'check_pretrained', 'DataError', 'DataNotFoundError',
    'DeviceError', 'USER_ERRORS',
    'UnsafeCheckpointError', 'adapt_to_device', 'check_data', 'enable_amp',
    'install_checkpoint_allow_list', 'leaf_dataset_cfgs', 'load_config',
    'load_from_local', 'run', 'sync_bn_to_bn', 'user_errors_exit'
]
