"""Every shapes config trains a few iterations through tools/train.py.

The tool runs in the test's process: one interpreter start per config
would cost more than the training. ``test_train_test`` covers the tools as
subprocesses. Configs the learning tests train through tools/train.py
(tests/test_learning), and the Mask R-CNN that test_instance_tools trains
through it, are not trained again here."""
import glob
import os.path as osp
import re

import pytest
import torch

from ..test_learning.test_crf_as_rnn import CRFASRNN_CONFIG
from ..test_learning.test_learning import (CASES, FROM_V1, FROM_V2, V1_CONFIG,
                                           V2_CONFIG)
from ..utils import read_log, shapes_options
from .test_instance_tools import CONFIG as INSTANCE_TOOLS_CONFIG

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Leaf configs in the architecture folders; the short top-level names only
# inherit one of them.
SHAPES_CONFIGS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', '*', '*shapes*.py')))


def _leaf(config):
    """The architecture-folder config a top-level short name inherits."""
    path = osp.join(REPO, config)
    if osp.dirname(config) != 'configs':
        return config
    base = open(path).read().split("_base_ = '")[1].split("'")[0]
    return osp.relpath(osp.normpath(osp.join(osp.dirname(path), base)), REPO)


LEARNED = {
    _leaf(c)
    for c, *_ in (*CASES.values(), *FROM_V1.values(), *FROM_V2.values())
}
LEARNED |= {V1_CONFIG, V2_CONFIG, CRFASRNN_CONFIG}
# DeepLab v1's field-of-view CRF configs add a test-time postprocessor to
# their base, which trains here: training one would train the same network
# again (test_crf_configs_train_their_base_network checks that they do).
FOV_CRF = {
    c
    for c in SHAPES_CONFIGS if re.search(r'deeplabv1-fc6-[^_]+-crf_', c)
}
pytestmark = pytest.mark.slow


def test_learning_tests_cover_real_shapes_configs():
    assert len(LEARNED) == 8 and LEARNED <= set(SHAPES_CONFIGS), LEARNED


def test_there_is_a_shapes_config_per_architecture():
    folders = {p.split('/')[1] for p in SHAPES_CONFIGS}
    assert {
        'deeplabv1', 'deeplabv2', 'deeplabv3', 'deeplabv3plus', 'fcn', 'unet',
        'pspnet', 'mix'
    } <= folders


def test_the_instance_tools_test_trains_a_real_shapes_config():
    assert INSTANCE_TOOLS_CONFIG in SHAPES_CONFIGS


def test_crf_configs_train_their_base_network():
    from mmengine.config import Config
    assert len(FOV_CRF) == 3
    for config in FOV_CRF:
        crf = Config.fromfile(osp.join(REPO, config))
        base = Config.fromfile(osp.join(REPO, config.replace('-crf_', '_')))
        assert crf.model.pop('postprocessor')['type'] == 'DenseCRF'
        assert crf.model == base.model
        for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                    'train_cfg'):
            assert crf[key] == base[key], (config, key)


@pytest.mark.parametrize(
    'config',
    sorted(set(SHAPES_CONFIGS) - LEARNED - FOV_CRF - {INSTANCE_TOOLS_CONFIG}))
def test_shapes_config_trains(config, run_tool_in_process, shapes_root,
                              tmp_path):
    work = str(tmp_path / 'work')
    extra = ['default_hooks.logger.interval=1']
    metric = 'mIoU:'
    if osp.basename(osp.dirname(config)) == 'mask_rcnn':
        # the COCO metric reads the ground truth from the annotation file
        extra.append(
            'val_evaluator.ann_file=' +
            osp.join(shapes_root, 'annotations', 'instances_val.json'))
        metric = 'coco/segm_mAP:'
    run_tool_in_process(['tools/train.py', config, '--work-dir', work] +
                        shapes_options(shapes_root, 5, extra=extra))
    log = read_log(work)
    assert 'Iter(train) [5/5]' in log
    assert metric in log
    ckpt = torch.load(osp.join(work, 'iter_5.pth'))
    assert ckpt['meta']['iter'] == 5
