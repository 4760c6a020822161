import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from segplug.models.losses.border_weighted_ce_loss import (
    BorderWeightedCrossEntropyLoss, unet_weight_map)


def _two_cells():
    """Two squares of class 1 separated by a one-pixel background gap in
    column 29."""
    label = np.zeros((40, 60), np.int64)
    label[10:30, 10:29] = 1
    label[10:30, 30:50] = 1
    return label


def test_gap_between_touching_objects_weighs_most():
    label = _two_cells()
    w = unet_weight_map(label, class_balance=False)
    gap = w[20, 29]
    assert gap > 1 + 9  # d1 = d2 = 1: w0 * exp(-4 / 50) ~ 9.2
    assert gap == pytest.approx(1 + 10 * np.exp(-4 / 50), rel=1e-5)
    assert w[0, 0] == pytest.approx(1, abs=1e-3)  # far from both
    assert w[2, 30] < gap  # near both, but farther
    assert np.all(w[label == 1] == 1)  # border term on background only


def test_one_object_adds_no_border_weight():
    label = np.zeros((30, 30), np.int64)
    label[10:20, 10:20] = 1
    w = unet_weight_map(label, class_balance=False)
    assert np.allclose(w, 1)


def test_objects_of_every_foreground_class_count():
    label = _two_cells()
    label[:, 30:] *= 2
    w = unet_weight_map(label, class_balance=False)
    assert w[20, 29] == pytest.approx(1 + 10 * np.exp(-4 / 50), rel=1e-5)


def test_matches_brute_force_distances():
    """Also checks that cutting distances off at 6 sigma changes nothing
    measurable: sigma 2 gives windows much smaller than the image."""
    label = np.zeros((60, 60), np.int64)
    # 3x3 squares with gaps of 1, 3, 6 and 12 pixels, and a few far apart.
    for r, c in ((10, 5), (10, 9), (10, 15), (10, 24), (10, 39), (30, 5),
                 (30, 45), (50, 20), (54, 28)):
        label[r:r + 3, c:c + 3] = 1
    w = unet_weight_map(label, w0=5., sigma=2., class_balance=False)
    from scipy import ndimage
    comps, n = ndimage.label(label == 1)
    dists = np.sort(
        np.stack([
            ndimage.distance_transform_edt(comps != k)
            for k in range(1, n + 1)
        ]),
        axis=0)
    expected = 1 + 5 * np.exp(-(dists[0] + dists[1])**2 / 8)
    expected[label > 0] = 1
    assert n == 9
    assert np.allclose(w, expected, atol=1e-6)


def test_ignore_pixels_weigh_zero_and_class_balance_has_mean_one():
    label = _two_cells()
    label[:5] = 255
    w = unet_weight_map(label, w0=0.)
    valid = label != 255
    assert np.all(w[~valid] == 0)
    assert w[valid].mean() == pytest.approx(1)
    # Rarer class 1 gets the larger weight; weights are n / (K * count).
    n, fg = valid.sum(), (label == 1).sum()
    assert w[20, 15] == pytest.approx(n / (2 * fg))
    assert w[20, 15] > w[7, 0]


def test_loss_equals_plain_ce_without_weights():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 12, 14, requires_grad=True)
    label = torch.randint(0, 3, (2, 12, 14))
    label[0, :3] = 255
    loss = BorderWeightedCrossEntropyLoss(
        w0=0., class_balance=False, loss_weight=0.5)
    expected = 0.5 * F.cross_entropy(logits, label, ignore_index=255)
    out = loss(logits, label, ignore_index=255)
    assert torch.allclose(out, expected)
    out.backward()
    assert logits.grad.abs().sum() > 0


def test_loss_weighs_pixels_by_the_map():
    label = torch.from_numpy(_two_cells())[None]
    logits = torch.zeros(1, 2, *label.shape[1:])
    loss = MODELS.build(dict(type='BorderWeightedCrossEntropyLoss'))
    assert loss.loss_name == 'loss_bwce'
    w = unet_weight_map(label[0].numpy())
    # Uniform logits: every pixel's CE is log 2.
    expected = np.log(2) * w.sum() / w.size
    assert loss(logits, label).item() == pytest.approx(expected, rel=1e-5)
    extra = torch.full(label.shape, 2.)
    assert loss(
        logits, label, weight=extra).item() == pytest.approx(
            2 * expected, rel=1e-5)


def test_loss_follows_mmseg_decode_head():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from segplug.models.decode_heads.deeplabv3plus_head import \
        DeepLabV3PlusHead
    head = DeepLabV3PlusHead(
        in_channels=(4, 8),
        channels=4,
        num_classes=2,
        low_level_channels=2,
        loss_decode=dict(
            type='BorderWeightedCrossEntropyLoss', loss_name='loss_unet'))
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(_two_cells())[None])
    sample.set_metainfo(dict(img_shape=(40, 60), pad_shape=(40, 60)))
    losses = head.loss((torch.randn(1, 4, 10, 15), torch.randn(1, 8, 3, 4)),
                       [sample],
                       train_cfg={})
    assert losses['loss_unet'].item() > 0


def test_size_mismatch_raises():
    loss = BorderWeightedCrossEntropyLoss()
    with pytest.raises(ValueError, match='same size'):
        loss(torch.zeros(1, 2, 8, 8), torch.zeros(1, 9, 8, dtype=torch.long))


@pytest.mark.parametrize('kwargs, err', [
    (dict(w0=-1.), ValueError),
    (dict(sigma=0.), ValueError),
    (dict(sigma='5'), TypeError),
    (dict(class_balance=1), TypeError),
    (dict(loss_weight=-1), ValueError),
    (dict(loss_name='bwce'), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    with pytest.raises(err, match='expected'):
        BorderWeightedCrossEntropyLoss(**kwargs)


def test_bad_label_raises():
    with pytest.raises(ValueError, match='expected an'):
        unet_weight_map(np.zeros((2, 3, 4), np.int64))
