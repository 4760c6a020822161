import functools
import http.server
import os
import os.path as osp
import socket
import threading

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

import segplug  # noqa: F401  (installs the loaders)
from segplug.engine import (CheckpointError, DataNotFoundError,
                            UnsafeCheckpointError, hub_cache_path)
from ...utils import read_log, shapes_options


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    home = tmp_path / 'torch_home'
    monkeypatch.setenv('TORCH_HOME', str(home))
    return home


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _weights(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({'state_dict': {'w': torch.arange(3.)}}, path)


def test_unreachable_url_is_one_line_naming_the_cache_path(torch_home):
    url = f'http://127.0.0.1:{_closed_port()}/weights/r18-1234.pth'
    with pytest.raises(DataNotFoundError) as err:
        _load_checkpoint(url)
    msg = str(err.value)
    assert '\n' not in msg
    assert f'cannot fetch {url} (' in msg
    cache = osp.join(str(torch_home), 'hub', 'checkpoints', 'r18-1234.pth')
    assert f'put the file at {cache} to use it offline' in msg
    assert 'model.pretrained=None' in msg and 'init_cfg' in msg
    assert 'refused' in msg.lower()  # the reason: connection refused
    assert not osp.exists(cache)


def test_cached_file_is_used_without_network(torch_home):
    url = f'http://127.0.0.1:{_closed_port()}/x/cached.pth'
    assert hub_cache_path(url) == osp.join(
        str(torch_home), 'hub', 'checkpoints', 'cached.pth')
    _weights(hub_cache_path(url))
    ckpt = _load_checkpoint(url)
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))


def test_cached_file_is_loaded_weights_only(torch_home):
    """mmengine's own http loader unpickled downloads without
    weights_only; this one refuses what a local file would be refused."""
    url = f'https://127.0.0.1:{_closed_port()}/evil.pth'
    os.makedirs(osp.dirname(hub_cache_path(url)))
    torch.save({'x': functools.partial(print, 'ran')}, hub_cache_path(url))
    with pytest.raises(UnsafeCheckpointError, match='functools.partial'):
        _load_checkpoint(url)


def test_openmmlab_name_resolves_to_its_cached_file(torch_home):
    # mmengine's name table: open-mmlab://resnet50_v1c is this URL
    cache = osp.join(
        str(torch_home), 'hub', 'checkpoints', 'resnet50_v1c-2cccc1ad.pth')
    _weights(cache)
    ckpt = _load_checkpoint('open-mmlab://resnet50_v1c')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))
    with pytest.raises(CheckpointError, match='no model .resnet51_v9'):
        _load_checkpoint('open-mmlab://resnet51_v9')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


def test_missing_file_is_downloaded_into_the_cache(torch_home, tmp_path):
    served = tmp_path / 'served'
    _weights(str(served / 'remote.pth'))
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.HTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05, ), daemon=True)
    thread.start()
    try:
        url = f'http://127.0.0.1:{server.server_port}/remote.pth'
        ckpt = _load_checkpoint(url)
    finally:
        server.shutdown()
        server.server_close()
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))
    assert osp.isfile(hub_cache_path(url))


def test_train_tool_stops_offline_at_start_up(run_tool_in_process, shapes_root,
                                              torch_home, tmp_path):
    url = f'http://127.0.0.1:{_closed_port()}/r18-v1c.pth'
    work = tmp_path / 'w'
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process([
            'tools/train.py', 'configs/deeplabv3plus_shapes.py', '--work-dir',
            str(work)
        ] + shapes_options(
            shapes_root,
            3,
            extra=[
                f'model.pretrained={url}', f'experiment_name={tmp_path.name}'
            ]))
    msg = exc.value.code
    assert msg.startswith(f'error: cannot fetch {url} (') and '\n' not in msg
    assert osp.join(str(torch_home), 'hub', 'checkpoints', 'r18-v1c.pth') \
        in msg
    assert 'Iter(train)' not in read_log(str(work))
    assert not [n for n in os.listdir(work) if n.endswith('.pth')]
