"""tools/model_stats.py: parameters and GFLOPs of mmseg and mmdet configs."""
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def model_stats():
    from segplug.cli.model_stats import model_stats
    return model_stats


def test_semantic_flops_scale_with_the_image_area(model_stats):
    config = osp.join(ROOT, 'configs', 'fcn',
                      'fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
    params, gflops_64 = model_stats(config, 64)
    _, gflops_128 = model_stats(config, 128)
    assert 0 < params < 5
    # a fully convolutional model: four times the pixels, four times the
    # work, up to the borders' rounding in the strided layers
    assert 3.5 < gflops_128 / gflops_64 < 4.5


def test_detector_is_counted_with_its_image_meta(model_stats):
    config = osp.join(ROOT, 'configs', 'mask_rcnn',
                      'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    params, gflops = model_stats(config, 128)
    assert 0 < params < 10
    assert gflops > 0
