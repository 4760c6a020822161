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
from ..utils import shapes_options

BASE = ('configs/deeplabv1/'
        'deeplabv1-largefov_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
CRF = BASE.replace('largefov_', 'largefov-crf_')
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def checkpoint(run_tool, shapes_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('crf_base'))
    run_tool(['tools/train.py', BASE, '--work-dir', work] +
             shapes_options(shapes_root, 3))
    return osp.join(work, 'iter_3.pth')


def _scores(text):
    last = [line for line in text.splitlines() if 'mIoU:' in line][-1]
    return dict(re.findall(r'(\w*mIoU): ([0-9.]+)', last))


def test_test_tool_with_and_without_tta(run_tool, shapes_root, checkpoint,
                                        tmp_path):
    data = shapes_options(shapes_root, 3)[:4]
    proc = run_tool([
        'tools/test.py', CRF, checkpoint, '--work-dir',
        str(tmp_path / 'plain')
    ] + data)
    scores = _scores(proc.stdout + proc.stderr)
    assert set(scores) == {
        'mIoU', 'trimap1_mIoU', 'trimap2_mIoU', 'trimap4_mIoU', 'trimap8_mIoU'
    }
    proc = run_tool([
        'tools/test.py', CRF, checkpoint, '--tta', '--work-dir',
        str(tmp_path / 'tta')
    ] + data)
    assert 'mIoU' in _scores(proc.stdout + proc.stderr)
    proc = run_tool(
        [
            'tools/test.py', CRF, checkpoint, '--tta', '--work-dir',
            str(tmp_path / 'bad')
        ] + data + ['tta_model.type=SegTTAModel'],
        check=False)
    assert proc.returncode != 0
    assert ("error: --tta with a postprocessor (model.postprocessor) needs "
            "tta_model=dict(type='SegplugTTAModel')") in proc.stderr


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
