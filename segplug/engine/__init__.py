from .checkpoint import (UnsafeCheckpointError, install_checkpoint_allow_list,
                         load_from_local)
from .data_check import DataNotFoundError, check_data
from .device import DeviceError, adapt_to_device, enable_amp, sync_bn_to_bn

# Errors the tools report in one line: the user can act on them, and a
# traceback would only bury the message.
USER_ERRORS = (DataNotFoundError, DeviceError, UnsafeCheckpointError)

__all__ = [
    'DataNotFoundError', 'DeviceError', 'USER_ERRORS', 'UnsafeCheckpointError',
    'adapt_to_device', 'check_data', 'enable_amp',
    'install_checkpoint_allow_list', 'load_from_local', 'sync_bn_to_bn'
]
