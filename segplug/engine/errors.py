"""Errors the user can act on; the tools report them in one line."""
import pickle


class ConfigError(ValueError):
    """A config or command line asks for something it cannot have."""


class DataError(ValueError):
    """Data a config reads cannot be used as it is, e.g. an annotation file
    whose ids repeat."""


class DataNotFoundError(FileNotFoundError):
    """A path a config's dataset reads does not exist."""


class DeviceError(RuntimeError):
    """A run asks for something this machine's devices cannot do."""


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs code outside the allow-list to unpickle."""


class CheckpointError(ValueError):
    """A checkpoint file is torn, is no checkpoint, or does not fit the
    model."""


class TrainingError(RuntimeError):
    """Training cannot go on as configured, e.g. the loss became NaN."""


USER_ERRORS = (CheckpointError, ConfigError, DataError, DataNotFoundError,
               DeviceError, TrainingError, UnsafeCheckpointError)
