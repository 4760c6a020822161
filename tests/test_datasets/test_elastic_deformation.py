import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from segplug.datasets.transforms.elastic_deformation import (
    ElasticDeformation, elastic_deform)


def _labels(h=33, w=45):
    label = np.zeros((h, w), np.uint8)
    label[5:20, 8:30] = 1
    label[15:30, 25:40] = 2
    label[0:4, :] = 255
    return label


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize('shape, dtype', [((33, 45), np.uint8),
                                          ((33, 45, 3), np.uint8),
                                          ((33, 45, 1), np.float32),
                                          ((33, 45, 5), np.int32),
                                          ((33, 45), np.float16)])
def test_keeps_shape_and_dtype(shape, dtype):
    img = (np.random.default_rng(1).random(shape) * 100).astype(dtype)
    label = _labels().astype(np.int64)
    out, (seg, ) = elastic_deform(img, [label], rng=_rng())
    assert out.shape == img.shape and out.dtype == img.dtype
    assert seg.shape == label.shape and seg.dtype == label.dtype
    assert not np.array_equal(seg, label)


def test_sigma_zero_is_identity():
    img = np.random.default_rng(1).integers(0, 255, (33, 45, 3), np.uint8)
    label = _labels()
    out, (seg, ) = elastic_deform(img, [label], sigma=0., rng=_rng())
    assert np.array_equal(out, img)
    assert np.array_equal(seg, label)


@pytest.mark.parametrize('border', [None, 255, 7])
def test_labels_keep_only_their_values(border):
    label = _labels()
    _, (seg, ) = elastic_deform(
        np.zeros(label.shape, np.float32), [label],
        sigma=8.,
        rng=_rng(3),
        seg_border_value=border)
    allowed = set(np.unique(label)) | ({border} if border else set())
    assert set(np.unique(seg)) <= allowed
    assert len(set(np.unique(seg))) >= 3


def test_constant_border_fills_pixels_from_outside():
    label = np.ones((20, 20), np.uint8)
    _, (seg, ) = elastic_deform(
        np.zeros((20, 20), np.float32), [label],
        sigma=10.,
        rng=_rng(),
        seg_border_value=255)
    assert (seg == 255).any()
    _, (seg, ) = elastic_deform(
        np.zeros((20, 20), np.float32), [label], sigma=10., rng=_rng())
    assert (seg == 1).all()


def test_image_and_labels_share_one_field():
    """Bilinear sampling of a coordinate ramp returns the sampled
    coordinate; nearest sampling of the same ramp rounds it. So the image
    and the label agree to half a pixel everywhere if, and only if, the
    same field moved both."""
    h, w = 40, 50
    rows, cols = np.mgrid[:h, :w]
    img = np.stack([cols, rows], -1).astype(np.float32)
    ramp = np.stack([cols, rows], -1).astype(np.int32)
    out, (seg, ) = elastic_deform(img, [ramp], sigma=6., rng=_rng(2))
    assert np.abs(out - img).max() > 2
    inside = (out > 0.5) & (out < np.array([w, h]) - 1.5)
    inside = inside.all(-1)
    assert inside.mean() > 0.5
    diff = np.abs(out - seg)[inside]
    assert diff.max() <= 0.5 + 1 / 32  # cv2's bilinear has 1/32 px steps
    _, (other, ) = elastic_deform(img, [ramp], sigma=6., rng=_rng(5))
    assert np.abs(out - other)[inside].max() > 1


def test_field_is_smooth():
    h, w = 64, 64
    cols = np.tile(np.arange(w, dtype=np.float32), (h, 1))
    out, _ = elastic_deform(cols, sigma=10., rng=_rng(4))
    inner = out[8:-8, 8:-8]
    assert np.abs(np.diff(inner, axis=1)).max() < 3


def test_seeded_rng_is_deterministic():
    img = np.random.default_rng(1).random((33, 45)).astype(np.float32)
    a = elastic_deform(img, [_labels()], rng=_rng(7))
    b = elastic_deform(img, [_labels()], rng=_rng(7))
    c = elastic_deform(img, [_labels()], rng=_rng(8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1][0], b[1][0])
    assert not np.array_equal(a[0], c[0])


def test_transform_warps_seg_fields_and_respects_prob():
    img = np.random.default_rng(1).integers(0, 255, (33, 45, 3), np.uint8)
    label = _labels()
    aug = TRANSFORMS.build(dict(type='ElasticDeformation', prob=1.0))
    assert isinstance(aug, ElasticDeformation)
    np.random.seed(0)
    res = aug(
        dict(
            img=img.copy(), gt_seg_map=label.copy(),
            seg_fields=['gt_seg_map']))
    assert res['img'].shape == img.shape and res['img'].dtype == np.uint8
    assert not np.array_equal(res['gt_seg_map'], label)
    np.random.seed(0)
    again = aug(
        dict(
            img=img.copy(), gt_seg_map=label.copy(),
            seg_fields=['gt_seg_map']))
    assert np.array_equal(res['gt_seg_map'], again['gt_seg_map'])
    never = ElasticDeformation(prob=0.)
    res = never(dict(img=img, gt_seg_map=label, seg_fields=['gt_seg_map']))
    assert res['img'] is img and res['gt_seg_map'] is label


def test_mismatched_seg_map_raises():
    with pytest.raises(ValueError, match='expected size 33x45'):
        elastic_deform(np.zeros((33, 45)), [np.zeros((32, 45), np.uint8)])


@pytest.mark.parametrize('kwargs, err', [
    (dict(grid=3), ValueError),
    (dict(grid=(3, 0)), ValueError),
    (dict(grid=(3, 3, 3)), ValueError),
    (dict(sigma=-1.), ValueError),
    (dict(sigma='10'), TypeError),
    (dict(prob=1.5), ValueError),
    (dict(seg_border_value=2.5), TypeError),
])
def test_bad_arguments_raise(kwargs, err):
    with pytest.raises(err, match='expected'):
        ElasticDeformation(**kwargs)
