"""Every registered segplug part builds from a small config and runs.

A part that is registered but missing from the tables fails this test.
"""
import inspect

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import METRICS, MODELS, TRANSFORMS
from mmseg.structures import SegDataSample

import segplug.datasets.transforms
import segplug.evaluation
import segplug.models


def _levels(*shapes):
    return tuple(torch.randn(2, c, h, w) for c, h, w in shapes)


def _segmentor_cfg():
    return dict(
        data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(
            type='UNetEncoder', base_channels=2, num_levels=3, padding='same'),
        decode_head=dict(
            type='UNetHead', in_channels=(2, 4, 8), channels=2, num_classes=3),
        test_cfg=dict(mode='overlap_tile', tile_size=8, margin=4))


# name -> (config, input(s), expected output shape; for tuples the last)
MODEL_TABLE = {
    'ASPP': (dict(in_channels=8, channels=4,
                  dilations=(1, 2)), _levels((8, 9, 9)), (2, 4, 9, 9)),
    'PyramidPooling': (dict(in_channels=8, channels=2), _levels(
        (8, 9, 11)), (2, 16, 9, 11)),
    'FCNSkipFusion':
    (dict(in_channels=(4, 8, 16),
          channels=3), _levels((4, 21, 26), (8, 11, 13),
                               (16, 6, 7)), (2, 3, 21, 26)),
    'MultiScaleBranches': (dict(
        in_channels=(3, 4, 8), strides=(1, 2, 8), channels=2,
        dropout_ratio=0.), _levels((3, 45, 45), (4, 23, 23),
                                   (8, 6, 6)), (2, 12, 6, 6)),
    'DeepLabV3PlusHead': (dict(in_channels=(4, 8), channels=6,
                               num_classes=3), _levels(
                                   (4, 17, 17), (8, 5, 5)), (2, 3, 17, 17)),
    'ClassifierHead': (dict(in_channels=8, num_classes=3), _levels(
        (8, 9, 9)), (2, 3, 9, 9)),
    'UNetHead': (dict(in_channels=(2, 4, 8), channels=4,
                      num_classes=3), _levels((2, 9, 9), (4, 5, 5),
                                              (8, 3, 3)), (2, 3, 9, 9)),
    'VGG16': (dict(channels=(4, 8, 8, 16, 16),
                   fc_channels=16), torch.randn(2, 3, 45, 45), (2, 16, 2, 2)),
    'Xception65': (dict(num_middle_blocks=1,
                        width_mult=0.125), torch.randn(2, 3, 45,
                                                       45), (2, 256, 3, 3)),
    'UNetEncoder': (dict(base_channels=2, num_levels=3,
                         padding='same'), torch.randn(2, 3, 9,
                                                      9), (2, 8, 3, 3)),
    'BorderWeightedCrossEntropyLoss':
    (dict(), (torch.randn(2, 3, 9, 9), torch.randint(0, 3, (2, 9, 9))), ()),
    'SegplugEncoderDecoder':
    (_segmentor_cfg(), torch.randn(2, 3, 20, 20), (2, 3, 20, 20)),
    'SegplugTTAModel':
    (dict(module=dict(type='SegplugEncoderDecoder', **_segmentor_cfg())), None,
     (1, 20, 20)),
    'DenseCRF': (dict(num_iters=2), (torch.rand(3, 9, 11).softmax(0),
                                     torch.randint(0, 256,
                                                   (9, 11, 3))), (3, 9, 11)),
    'CRFAsRNN': (dict(num_classes=3,
                      num_iters=2), (torch.rand(3, 9, 11).softmax(0),
                                     torch.randint(0, 256,
                                                   (9, 11, 3))), (3, 9, 11)),
}
TRANSFORM_TABLE = {
    'ElasticDeformation': dict(prob=1.0, sigma=3.),
}


def _exported(package, registry):
    names = set()
    for module in (package, *vars(package).values()):
        for name in getattr(module, '__all__', []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and registry.get(name) is obj:
                names.add(name)
    return names


METRIC_TABLE = {'TrimapIoUMetric': dict(widths=(1, 2))}


def test_every_registered_part_is_in_the_tables():
    assert _exported(segplug.models, MODELS) == set(MODEL_TABLE)
    assert _exported(segplug.datasets, TRANSFORMS) == set(TRANSFORM_TABLE)
    assert _exported(segplug.evaluation, METRICS) == set(METRIC_TABLE)


def test_every_part_in_mmdets_registries_is_known():
    """segplug's parts for mmdet configs, each tested in its own module
    (tests/test_models/test_roi_extractors, tests/test_datasets)."""
    from mmdet.registry import DATASETS as DET_DATASETS
    from mmdet.registry import MODELS as DET_MODELS
    assert _exported(segplug.models, DET_MODELS) == {'TorchRoIExtractor'}
    assert _exported(segplug.datasets, DET_DATASETS) == {'CheckedCocoDataset'}


def _run_tta(tta):
    """Two flipped views of one 20x20 image merged into one prediction."""
    tta.eval()
    samples = []
    for flip in (False, True):
        sample = SegDataSample(
            metainfo=dict(
                ori_shape=(20, 20),
                img_shape=(20, 20),
                pad_shape=(20, 20),
                flip=flip,
                flip_direction='horizontal',
                img_path='a.png'))
        samples.append([sample])
    inputs = torch.rand(3, 20, 20) * 255
    data = [dict(inputs=[inputs], data_samples=s) for s in samples]
    with torch.no_grad():
        merged = tta.test_step(
            dict(
                inputs=[d['inputs'] for d in data],
                data_samples=[d['data_samples'] for d in data]))
    return merged[0].pred_sem_seg.data


@pytest.mark.parametrize('name', sorted(MODEL_TABLE))
def test_part_builds_and_runs(name):
    cfg, inputs, shape = MODEL_TABLE[name]
    init_default_scope('mmseg')
    part = MODELS.build(dict(type=name, **cfg))
    assert type(part).__name__ == name
    if hasattr(part, 'init_weights'):
        part.init_weights()
    if name in ('DenseCRF', 'CRFAsRNN'):
        out = part(*inputs)
        assert out.shape == shape
        torch.testing.assert_close(out.sum(0), torch.ones(shape[1:]))
        return
    if name == 'SegplugTTAModel':
        assert _run_tta(part).shape == shape
        return
    if name == 'SegplugEncoderDecoder':
        part.eval()
        with torch.no_grad():
            out = part.inference(inputs, [dict(ori_shape=(20, 20))] * 2)
        assert out.shape == shape
        return
    if isinstance(inputs, tuple) and name.endswith('Loss'):
        logits = inputs[0].clone().requires_grad_()
        out = part(logits, inputs[1])
    else:
        out = part(inputs)
    out = out[-1] if isinstance(out, tuple) else out
    assert out.shape == shape
    assert torch.isfinite(out).all()
    out.float().mean().backward()
    params = [p for p in part.parameters() if p.requires_grad]
    assert all(p.grad is not None for p in params)


@pytest.mark.parametrize('name', sorted(METRIC_TABLE))
def test_metric_builds_and_evaluates(name):
    metric = METRICS.build(dict(type=name, **METRIC_TABLE[name]))
    metric.dataset_meta = dict(classes=('a', 'b'))
    gt = torch.zeros(1, 8, 8, dtype=torch.long)
    gt[:, 2:6, 2:6] = 1
    metric.process(
        {}, [dict(pred_sem_seg=dict(data=gt), gt_sem_seg=dict(data=gt))])
    scores = metric.evaluate(1)
    assert scores and all(v == 100 for v in scores.values())


@pytest.mark.parametrize('name', sorted(TRANSFORM_TABLE))
def test_transform_builds_and_runs(name):
    transform = TRANSFORMS.build(dict(type=name, **TRANSFORM_TABLE[name]))
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
    seg = (np.arange(24 * 24).reshape(24, 24) % 5).astype(np.uint8)
    out = transform(
        dict(img=img.copy(), gt_seg_map=seg.copy(), seg_fields=['gt_seg_map']))
    assert out['img'].shape == img.shape and out['img'].dtype == img.dtype
    assert set(np.unique(out['gt_seg_map'])) <= set(range(5))
    assert not np.array_equal(out['img'], img)
