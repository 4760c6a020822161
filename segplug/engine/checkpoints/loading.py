"""Loading mmengine checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with an allow-list of globals. An
mmengine checkpoint also holds numpy arrays and scalars (in the message
hub) and ``HistoryBuffer`` objects whose statistics methods are pickled as
``getattr(HistoryBuffer, 'min')``. Those, and only those, are allowed here;
``getattr`` is allowed only in that one form. A checkpoint that needs
anything else is refused with :class:`UnsafeCheckpointError`; a file that
is no checkpoint, or a torn one, raises :class:`CheckpointError`.
"""
import os
import os.path as osp
import pickle
import zipfile
from typing import Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from ..errors import CheckpointError, UnsafeCheckpointError

_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')
_ZIP_MAGIC, _PICKLE_MAGIC = b'PK\x03\x04', b'\x80'
_FORMATS = ((b'\xff\xd8\xff', 'a JPEG image'), (b'\x89PNG', 'a PNG image'),
            (b'GIF8', 'a GIF image'), (b'\x1f\x8b', 'a gzip archive'),
            (b'PK', 'a zip archive'))


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint path that names no file."""


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
        (np._core.multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'
         ),
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


def _not_a_checkpoint(head: bytes) -> Optional[str]:
    """What a file starting with ``head`` is, if no PyTorch checkpoint."""
    if not head:
        return 'an empty file'
    if head.startswith((_ZIP_MAGIC, _PICKLE_MAGIC)):
        return None
    for magic, what in _FORMATS:
        if head.startswith(magic):
            return what
    if head[8:10] == b'{"':  # an 8-byte header length, then JSON
        return 'a safetensors file; load it with safetensors.torch'
    try:
        text = head[:40].decode('utf-8')
    except UnicodeDecodeError:
        return f'unknown content starting with bytes {head[:8].hex()}'
    return f'a text file starting {text.splitlines()[0][:30]!r}'


def _not_a_file(filename: str) -> str:
    """Why there is no checkpoint file at ``filename``, worded to follow
    'is': a folder (with the newest .pth in it), a link to nowhere, or
    nothing."""
    if osp.isdir(filename):
        found = sorted((f for f in os.listdir(filename) if f.endswith('.pth')),
                       key=lambda f: osp.getmtime(osp.join(filename, f)))
        return ('a folder, not a checkpoint file' +
                (f' (the newest in it: {osp.join(filename, found[-1])})'
                 if found else ''))
    if osp.islink(filename):
        return (f'not found (a symbolic link to {os.readlink(filename)}, '
                'which does not exist)')
    return 'not found'


def missing_checkpoint(filename: str) -> str:
    """The message for a checkpoint path with no file: 'checkpoint not
    found: PATH', or what is there instead."""
    why = _not_a_file(filename)
    if why == 'not found':
        return f'checkpoint not found: {filename}'
    return f'checkpoint {filename} is {why}'


def checkpoint_problem(filename: str) -> Optional[str]:
    """Why ``filename`` cannot be a whole checkpoint, or None if it can.

    A zip checkpoint (what torch.save writes) is checked against its zip
    directory and member CRCs, which a torn write or a flipped byte fails
    and torch.load does not notice; other formats are loaded in full.
    """
    if not osp.isfile(filename):
        return _not_a_file(filename)
    with open(filename, 'rb') as f:
        head = f.read(64)
    what = _not_a_checkpoint(head)
    if what is not None:
        return f'not a PyTorch checkpoint ({what})'
    if head.startswith(_PICKLE_MAGIC):  # torch's legacy format
        try:
            torch.load(filename, map_location='cpu', weights_only=True)
        except pickle.UnpicklingError:  # refused, not torn: said on loading
            pass
        except Exception as err:
            return f'truncated or corrupt (torch says: {_first_line(err)})'
        return None
    try:
        with zipfile.ZipFile(filename) as archive:
            bad = archive.testzip()
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return ('truncated or corrupt (its zip directory, written last, is '
                'missing or damaged)')
    if bad is not None:
        return f'corrupt (bad CRC in {bad})'
    if not any(n.endswith('data.pkl') for n in names):
        return 'not a PyTorch checkpoint (a zip archive without data.pkl)'
    return None


def _first_line(err: Exception) -> str:
    """The first sentence of an error's message."""
    text = str(err).strip().splitlines()
    return text[0].split('. ')[0] if text else type(err).__name__


def load_from_local(filename: str, map_location: Optional[str] = None) -> dict:
    """``torch.load`` with ``weights_only=True``.

    Raises:
        CheckpointNotFoundError: no file at ``filename``.
        CheckpointError: the file is no checkpoint, or is torn.
        UnsafeCheckpointError: unpickling it needs a refused global.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointNotFoundError(missing_checkpoint(filename))
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        _raise_if_torn(filename)
        raise _refused(filename, err) from None
    except Exception:  # torch's error for a torn file varies by where
        _raise_if_torn(filename)
        raise


def _raise_if_torn(filename: str) -> None:
    problem = checkpoint_problem(filename)
    if problem is None:
        return
    hint = ('pass a file saved by torch.save, e.g. a work dir\'s '
            'iter_*.pth' if problem.startswith('not a') else
            'use an intact checkpoint (an earlier iter_*.pth) or copy '
            'or save it again')
    raise CheckpointError(f'checkpoint {filename} is {problem}; {hint}')


def _refused(filename: str, err: Exception) -> UnsafeCheckpointError:
    try:
        needed = set(
            torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)) - _allowed_names()
    except Exception:  # not a zip checkpoint: report torch's reason
        needed = set()
    if needed:
        reason = (f'unpickling it needs {", ".join(sorted(needed))}, '
                  'which could run arbitrary code')
    else:
        reason = ('the weights-only unpickler stopped at: ' +
                  _unpickler_reason(err))
    return UnsafeCheckpointError(
        f'refused checkpoint {filename}: {reason}. Load only checkpoints '
        'you trust; re-save a trusted one as a plain state dict.')


def _unpickler_reason(err: Exception) -> str:
    """The line of torch's long message that says what was refused."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for i, line in enumerate(lines[:-1]):
        if 'WeightsUnpickler error' in line:
            return lines[i + 1]
    return lines[0] if lines else type(err).__name__
