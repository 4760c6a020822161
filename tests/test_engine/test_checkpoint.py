import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

import segplug  # noqa: F401  (installs the allow-list)
from segplug.engine import UnsafeCheckpointError, load_from_local


def _mmengine_like_checkpoint(path):
    """What mmengine's Runner saves: weights, numpy-filled message hub with
    HistoryBuffers, optimizer and scheduler states."""
    hub = MessageHub.get_instance('segplug-test')
    for i in range(3):
        hub.update_scalar('train/loss', float(np.float64(0.5 / (i + 1))))
    hub.update_info('iter', 3)
    model = torch.nn.Conv2d(2, 2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save(dict(
        meta=dict(iter=3, seed=np.int64(7), hist=np.arange(3.)),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict(),
        optimizer=opt.state_dict()), path)


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = str(tmp_path / 'iter_3.pth')
    _mmengine_like_checkpoint(path)
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:  # without segplug's allow-list torch refuses it
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path)
    finally:
        torch.serialization.add_safe_globals(saved)
    ckpt = _load_checkpoint(path)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.min() == pytest.approx(0.5 / 3)
    assert ckpt['meta']['seed'] == 7
    assert np.array_equal(ckpt['meta']['hist'], np.arange(3.))
    # torch.load's own default (weights_only=True) works as well
    assert torch.load(path)['meta']['iter'] == 3


class _RunsCode:

    def __reduce__(self):
        return (os.system, ('echo unsafe',))


def test_checkpoint_needing_arbitrary_code_is_refused(tmp_path, capfd):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _RunsCode()}, path)
    with pytest.raises(UnsafeCheckpointError, match='system'):
        _load_checkpoint(path)
    assert 'unsafe' not in capfd.readouterr().out


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):

    class _Reduce:

        def __init__(self, *args):
            self.args = args

        def __reduce__(self):
            return self.args

    path = str(tmp_path / 'getattr.pth')
    # getattr(HistoryBuffer, '__init__') is not a statistic
    torch.save({'x': _Reduce(getattr, (HistoryBuffer, '__init__'))}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        load_from_local(path)
    torch.save({'x': _Reduce(getattr, (HistoryBuffer, 'mean'))}, path)
    assert load_from_local(path)['x'] is HistoryBuffer.mean


def test_plain_pickle_is_refused_with_reason(tmp_path):
    path = str(tmp_path / 'old.pkl')
    with open(path, 'wb') as f:
        pickle.dump({'a': _RunsCode()}, f, protocol=4)
    with pytest.raises(UnsafeCheckpointError, match='refused checkpoint'):
        load_from_local(path)


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_local(str(tmp_path / 'nope.pth'))
