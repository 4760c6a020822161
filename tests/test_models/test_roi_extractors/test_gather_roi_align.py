"""segplug's GatherRoIAlign against mmcv's compiled RoIAlign, and
TorchRoIExtractor against mmdet's SingleRoIExtractor."""
import pytest
import torch
from mmcv.ops import RoIAlign as MmcvRoIAlign
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope

from segplug.models.roi_extractors import (GatherRoIAlign, TorchRoIExtractor,
                                           gather_roi_align)


def _rois(num, batch, span, max_size, seed=0):
    """Boxes of every kind: inside, across the border, wholly outside
    (beyond the one-pixel margin) and of zero size."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=g) * (span + 30) - 15
    wh = torch.rand(num, 2, generator=g) * max_size
    wh[:2] = 0
    rois = torch.cat(
        [torch.randint(0, batch,
                       (num, 1), generator=g).float(), xy, xy + wh], 1)
    rois[3,
         1:] = torch.tensor([span + 40., span + 40., span + 60., span + 70.])
    return rois


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 1, 2])
@pytest.mark.parametrize('scale', [0.25, 0.125])
def test_roi_align_equals_mmcv_forward_and_backward(aligned, sampling_ratio,
                                                    scale):
    features = torch.randn(3, 5, 17, 23, requires_grad=True)
    rois = _rois(40, 3, 120, 90)
    args = (7, scale, sampling_ratio)
    ours = GatherRoIAlign(*args, aligned=aligned)(features, rois)
    ref = MmcvRoIAlign(*args, aligned=aligned)(features, rois)
    assert ours.shape == ref.shape == (40, 5, 7, 7)
    assert ref.abs().sum() > 0 and (ref[3] == 0).all()
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    grad_out = torch.randn_like(ref)
    ours_grad, = torch.autograd.grad((ours * grad_out).sum(), features)
    ref_grad, = torch.autograd.grad((ref * grad_out).sum(), features)
    assert ref_grad.abs().sum() > 0
    torch.testing.assert_close(ours_grad, ref_grad, rtol=1e-5, atol=1e-5)


def test_roi_align_of_no_rois_and_rectangular_output():
    features = torch.randn(2, 4, 8, 8)
    empty = gather_roi_align(features, torch.zeros(0, 5), 7)
    assert empty.shape == (0, 4, 7, 7)
    rois = torch.tensor([[1., 2., 3., 20., 30.]])
    ours = gather_roi_align(features, rois, (3, 5), 0.25, 2)
    ref = MmcvRoIAlign((3, 5), 0.25, 2)(features, rois)
    torch.testing.assert_close(ours, ref)


def test_roi_align_rejects_what_it_does_not_do():
    with pytest.raises(ValueError, match="pool_mode='max'"):
        GatherRoIAlign(7, pool_mode='max')
    with pytest.raises(ValueError, match='sampling_ratio'):
        GatherRoIAlign(7, sampling_ratio=-1)
    with pytest.raises(ValueError, match=r'rois must be \(K, 5\)'):
        gather_roi_align(torch.randn(1, 2, 4, 4), torch.zeros(3, 4), 2)


def _build(cfg):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


def _extractor(kind):
    return _build(
        dict(
            type=kind,
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=6,
            featmap_strides=[4, 8, 16, 32]))


def test_extractor_equals_mmdets_on_an_fpn():
    ours, ref = _extractor('TorchRoIExtractor'), _extractor(
        'SingleRoIExtractor')
    assert isinstance(ours, TorchRoIExtractor)
    assert type(ref) is SingleRoIExtractor
    assert all(isinstance(layer, GatherRoIAlign) for layer in ours.roi_layers)
    feats = tuple(
        torch.randn(2, 6, 256 // s, 256 // s, requires_grad=True)
        for s in (4, 8, 16, 32))
    # sizes spread over all four FPN levels (mmdet maps by sqrt(area))
    rois = _rois(60, 2, 256, 400, seed=1)
    rois[-4:] = torch.tensor([[0., 5., 5., 45., 45.], [1., 5., 5., 155., 155.],
                              [0., 0., 0., 300., 300.],
                              [1., -20., 0., 500., 480.]])
    out, expected = ours(feats, rois), ref(feats, rois)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    ours_grads = torch.autograd.grad(out.sum(), feats)
    ref_grads = torch.autograd.grad(expected.sum(), feats)
    for a, b in zip(ours_grads, ref_grads):
        assert b.abs().sum() > 0
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_extractor_names_an_roi_layer_it_cannot_run():
    with pytest.raises(ValueError, match="roi_layer type 'RoIPool'"):
        _build(
            dict(
                type='TorchRoIExtractor',
                roi_layer=dict(type='RoIPool', output_size=7),
                out_channels=6,
                featmap_strides=[4]))
