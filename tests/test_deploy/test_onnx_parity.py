"""Every semantic shapes config, at its tiny widths with random weights,
exported to ONNX: onnxruntime gives PyTorch's logits, at the traced size
and (``dynamic``) at another, or the export says why not."""
import glob
import os.path as osp
import re

import numpy as np
import pytest

from segplug.deploy import (ExportError, SegmentorGraph,
                            compare_with_onnxruntime, export_onnx)
from segplug.deploy.parity import compare_at_other_size
from .helpers import REPO, random_segmentor

# The CRF configs (-crf, -crfasrnn) export their base config's graph: the
# postprocessor runs after it (tests/test_deploy/test_onnx_segmenter.py and
# test_trained_crf_sidecar.py check what the sidecar carries of it). Of
# DeepLab v1's field-of-view configs, which differ from LargeFOV in fc6's
# kernel and rate only, the 4x4 at rate 8 stands for all three (an even
# kernel).
SHAPES_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs/**/*shapes-128x128.py'), recursive=True)
    if '/mask_rcnn/' not in p and not re.search(r'-crf(asrnn)?_', p)
    and not re.search(r'deeplabv1-fc6-(7x7-r4|4x4-r4)_', p))


def test_the_set_is_every_semantic_family():
    families = {p.split('/')[1] for p in SHAPES_CONFIGS}
    assert families == {
        'deeplabv1', 'deeplabv2', 'deeplabv3', 'deeplabv3plus', 'fcn', 'mix',
        'pspnet', 'unet'
    }
    assert len(SHAPES_CONFIGS) == 18


def _inputs(shape, seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, 3, *shape)).astype(np.float32)


@pytest.mark.slow
@pytest.mark.parametrize('config', SHAPES_CONFIGS)
def test_onnxruntime_matches_pytorch(config, tmp_path):
    graph = SegmentorGraph(random_segmentor(config)).eval()
    path = str(tmp_path / 'model.onnx')
    export_onnx(graph, path, (64, 64))
    parity = compare_with_onnxruntime(graph, path, _inputs((64, 64)), 'x')
    assert parity.max_diff < 1e-3 and parity.agreement >= 0.999


# Where a --dynamic export cannot follow another size: adaptive pooling to
# bins (PyramidPooling) has no dynamic ONNX form; UNetHead resizes a level
# only where its size differs from the skip's, which tracing fixes.
DYNAMIC_FAILS = {
    'configs/mix/pspnet_cspnext-tiny-mmdet_1xb8-5k_shapes-128x128.py':
    'PyramidPooling (neck)',
    'configs/mix/unet-head_pyramid-pooling_r18-tiny_1xb8-5k_shapes-128x128.py':
    'PyramidPooling (neck)',
    'configs/pspnet/pspnet_r18-tiny-d8_1xb8-5k_shapes-128x128.py':
    'PyramidPooling (neck)',
    'configs/mix/unet-head_r18-tiny_1xb8-5k_shapes-128x128.py': 'does not run',
    'configs/unet/unet-s4-tiny_1xb8-2.5k_shapes-128x128.py': 'does not run',
}


@pytest.mark.slow
@pytest.mark.parametrize('config', SHAPES_CONFIGS)
def test_dynamic_export_follows_another_size_or_says_why(config, tmp_path):
    graph = SegmentorGraph(random_segmentor(config)).eval()
    path = str(tmp_path / 'model.onnx')
    if config in DYNAMIC_FAILS:
        with pytest.raises(ExportError) as info:
            export_onnx(graph, path, (64, 64), dynamic=True)
            compare_at_other_size(graph, path, (64, 64))
        message = str(info.value)
        assert DYNAMIC_FAILS[config] in message
        assert 'without --dynamic' in message and '\n' not in message
        return
    export_onnx(graph, path, (64, 64), dynamic=True)
    parity = compare_at_other_size(graph, path, (64, 64))
    assert parity.source == 'a random 81x99 input'
    assert parity.max_diff < 1e-3 and parity.agreement >= 0.999
