import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

import segplug  # noqa: F401  (installs the allow-list)
from segplug.engine import (CheckpointError, UnsafeCheckpointError,
                            load_from_local)
from segplug.engine.checkpoints.loading import checkpoint_problem


def _mmengine_like_checkpoint(path):
    """What mmengine's Runner saves: weights, numpy-filled message hub with
    HistoryBuffers, optimizer and scheduler states."""
    hub = MessageHub.get_instance('segplug-test')
    for i in range(3):
        hub.update_scalar('train/loss', float(np.float64(0.5 / (i + 1))))
    hub.update_info('iter', 3)
    model = torch.nn.Conv2d(2, 2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save(
        dict(
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
        return (os.system, ('echo unsafe', ))


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


def _saved(path, legacy=False):
    torch.save({'state_dict': {
        'w': torch.randn(64, 64)
    }},
               path,
               _use_new_zipfile_serialization=not legacy)
    return path


def _write_jpeg(path):
    import cv2
    with open(path, 'wb') as f:
        f.write(cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))[1])


@pytest.mark.parametrize('kind, what', [
    ('text', "a text file starting 'model = dict("),
    ('jpeg', 'a JPEG image'),
    ('empty', 'an empty file'),
])
def test_file_that_is_no_checkpoint_is_named(tmp_path, kind, what):
    path = str(tmp_path / 'model.pth')
    if kind == 'text':
        with open(path, 'w') as f:
            f.write('model = dict(type="EncoderDecoder")\n')
    elif kind == 'jpeg':
        _write_jpeg(path)
    else:
        open(path, 'wb').close()
    with pytest.raises(CheckpointError) as err:
        load_from_local(path)
    msg = str(err.value)
    assert f'checkpoint {path} is not a PyTorch checkpoint ({what}' in msg
    assert '\n' not in msg and 'torch.save' in msg
    assert not isinstance(err.value, UnsafeCheckpointError)


@pytest.mark.parametrize('legacy', [False, True])
def test_truncated_checkpoint_is_named(tmp_path, legacy):
    path = _saved(str(tmp_path / 'iter_4.pth'), legacy)
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        _load_checkpoint(path)
    msg = str(err.value)
    assert f'checkpoint {path} is truncated or corrupt' in msg
    assert '\n' not in msg and 'intact checkpoint' in msg
    assert checkpoint_problem(path).startswith('truncated or corrupt')


def test_flipped_byte_is_found_though_torch_loads_it(tmp_path):
    path = _saved(str(tmp_path / 'iter_4.pth'))
    assert checkpoint_problem(path) is None
    with open(path, 'r+b') as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    torch.load(path)  # torch does not check the CRCs
    assert checkpoint_problem(path).startswith('corrupt (bad CRC in ')


def test_checkpoint_problem_passes_intact_files(tmp_path):
    assert checkpoint_problem(_saved(str(tmp_path / 'a.pth'))) is None
    assert checkpoint_problem(_saved(str(tmp_path / 'b.pth'), True)) is None
    assert checkpoint_problem(str(tmp_path / 'c.pth')) == 'not found'


def test_zip_without_pickle_and_safetensors_are_named(tmp_path):
    import zipfile
    archive = str(tmp_path / 'weights.zip')
    with zipfile.ZipFile(archive, 'w') as f:
        f.writestr('readme.txt', 'hello')
    assert checkpoint_problem(archive) == (
        'not a PyTorch checkpoint (a zip archive without data.pkl)')
    with pytest.raises(CheckpointError, match='without data.pkl'):
        load_from_local(archive)
    header = b'{"w": {"dtype": "F32", "shape": [1]}}'
    tensors = str(tmp_path / 'model.safetensors')
    with open(tensors, 'wb') as f:
        f.write(len(header).to_bytes(8, 'little') + header + bytes(4))
    assert 'a safetensors file' in checkpoint_problem(tensors)
