"""The CRF config through the tools and mmseg's inference API: tools/test.py
with and without test-time augmentation, and single images given as a file
or an array."""
import os.path as osp
import re

import mmcv
import numpy as np
import pytest
import torch

from segplug.models.postprocessors import dense_crf
from ..utils import read_log, shapes_options, shared_training

BASE = ('configs/deeplabv1/'
        'deeplabv1-largefov_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
CRF = BASE.replace('largefov_', 'largefov-crf_')
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def checkpoint(run_tool, shapes_root, tmp_path_factory):
    """3 iterations of ``BASE``, once per test run (both tests use it,
    whichever pytest-xdist worker runs them)."""
    work = shared_training(run_tool, tmp_path_factory, 'deeplabv1-3-iters',
                           BASE, shapes_options(shapes_root, 3))
    return osp.join(work, 'iter_3.pth')


def _scores(work):
    """The last scores line of the run's log in ``work``."""
    last = [line for line in read_log(work).splitlines()
            if 'mIoU:' in line][-1]
    return dict(re.findall(r'(\w*mIoU): ([0-9.]+)', last))


def _test_tool(run_tool_in_process, args):
    """tools/test.py in this process (tools/test.py on this config as a
    command: the learning tests' CRF test); the line it exits with, None
    after a clean run."""
    try:
        run_tool_in_process(['tools/test.py'] + args)
    except SystemExit as exc:
        return exc.code
    return None


def test_test_tool_with_and_without_tta(run_tool_in_process, shapes_root,
                                        checkpoint, tmp_path):
    data = shapes_options(shapes_root, 3)[:4]
    work = str(tmp_path / 'plain')
    assert _test_tool(run_tool_in_process,
                      [CRF, checkpoint, '--work-dir', work] + data) is None
    scores = _scores(work)
    assert set(scores) == {
        'mIoU', 'trimap1_mIoU', 'trimap2_mIoU', 'trimap4_mIoU', 'trimap8_mIoU'
    }
    work = str(tmp_path / 'tta')
    assert _test_tool(run_tool_in_process,
                      [CRF, checkpoint, '--tta', '--work-dir', work] +
                      data) is None
    assert 'mIoU' in _scores(work)
    msg = _test_tool(
        run_tool_in_process,
        [CRF, checkpoint, '--tta', '--work-dir',
         str(tmp_path / 'bad')] + data + ['tta_model.type=SegTTAModel'])
    assert isinstance(msg, str)  # exit status 1, the message on stderr
    assert msg.startswith(
        "error: --tta with a postprocessor (model.postprocessor) needs "
        "tta_model=dict(type='SegplugTTAModel')"), msg


def test_inference_on_a_file_and_an_array(repo_root, shapes_root, checkpoint):
    from mmseg.apis import inference_model, init_model
    model = init_model(osp.join(repo_root, CRF), checkpoint, device='cpu')
    crf_cfg = dict(model.postprocessor.cfg)
    path = osp.join(shapes_root, 'JPEGImages', 'val_00000.jpg')
    rgb = mmcv.imread(path, channel_order='rgb')

    result = inference_model(model, path)
    expected = dense_crf(
        result.seg_logits.data.softmax(0), torch.from_numpy(rgb),
        **crf_cfg).argmax(0)
    assert torch.equal(result.pred_sem_seg.data[0], expected)

    # an array has no file: the CRF sees the un-normalised input instead
    from_array = inference_model(model, np.ascontiguousarray(rgb[..., ::-1]))
    assert from_array.pred_sem_seg.data.shape == (1, ) + rgb.shape[:2]
    agree = (from_array.pred_sem_seg.data[0] == expected).float().mean()
    assert agree > 0.99
