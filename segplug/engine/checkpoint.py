"""Loading mmengine checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with an allow-list of globals. An
mmengine checkpoint also holds numpy arrays and scalars (in the message
hub) and ``HistoryBuffer`` objects whose statistics methods are pickled as
``getattr(HistoryBuffer, 'min')``. Those, and only those, are allowed here;
``getattr`` is allowed only in that one form. A checkpoint that needs
anything else is refused with :class:`UnsafeCheckpointError`.
"""
import os.path as osp
import pickle
from typing import Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import UnsafeCheckpointError


_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj, name: str):
    """The only ``getattr`` a checkpoint may call: a HistoryBuffer statistic.
    """
    if obj is HistoryBuffer and name in _HISTORY_STATISTICS:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics are allowed')


def checkpoint_safe_globals() -> list:
    """What segplug allows a checkpoint to reference beyond torch's defaults.
    """
    numpy_dtype_classes = [getattr(np.dtypes, n) for n in np.dtypes.__all__]
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        (np._core.multiarray._reconstruct,
         'numpy._core.multiarray._reconstruct'),
        (np._core.multiarray.scalar, 'numpy._core.multiarray.scalar'),
        # Checkpoints written under numpy 1.x name the same functions so.
        (np._core.multiarray._reconstruct,
         'numpy.core.multiarray._reconstruct'),
        (np._core.multiarray.scalar, 'numpy.core.multiarray.scalar'),
    ] + numpy_dtype_classes


def _allowed_names() -> set:
    names = set()
    for item in checkpoint_safe_globals():
        if isinstance(item, tuple):
            names.add(item[1])
        else:
            names.add(f'{item.__module__}.{item.__qualname__}')
    return names


def load_from_local(filename: str,
                           map_location: Optional[str] = None) -> dict:
    """``torch.load`` with ``weights_only=True``; a refused checkpoint raises
    :class:`UnsafeCheckpointError` naming what it needed."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        try:
            needed = set(torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)) - _allowed_names()
        except Exception:  # not a zip checkpoint: report torch's reason
            needed = set()
        if needed:
            reason = (f'unpickling it needs {", ".join(sorted(needed))}, '
                      'which could run arbitrary code')
        else:
            reason = ('the weights-only unpickler stopped at: ' +
                      _unpickler_reason(err))
        raise UnsafeCheckpointError(
            f'refused checkpoint {filename}: {reason}. Load only checkpoints '
            'you trust; re-save a trusted one as a plain state dict.'
        ) from None


def _unpickler_reason(err: Exception) -> str:
    """The line of torch's long message that says what was refused."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for i, line in enumerate(lines[:-1]):
        if 'WeightsUnpickler error' in line:
            return lines[i + 1]
    return lines[0] if lines else type(err).__name__


def install_checkpoint_allow_list() -> None:
    """Allow mmengine's checkpoint contents in every weights-only load and
    make mmengine load local files through :func:`load_from_local`.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
