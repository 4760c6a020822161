from .checkpoint import install_checkpoint_allow_list, load_from_local
from .data_check import check_data
from .device import adapt_to_device, enable_amp, sync_bn_to_bn
from .errors import (USER_ERRORS, ConfigError, DataNotFoundError, DeviceError,
                     UnsafeCheckpointError)

__all__ = [
    'ConfigError', 'DataNotFoundError', 'DeviceError', 'USER_ERRORS',
    'UnsafeCheckpointError', 'adapt_to_device', 'check_data', 'enable_amp',
    'install_checkpoint_allow_list', 'load_from_local', 'sync_bn_to_bn'
]
