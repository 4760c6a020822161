import math

import pytest
import torch
import torch.nn.functional as F

from segplug.models.backbones.vgg import VGG16
from segplug.models.necks.fcn_skip_fusion import FCNSkipFusion, bilinear_kernel

IN_CHANNELS = (4, 8, 16)


def _levels(*sizes, n=2):
    return tuple(torch.randn(n, c, *s) for c, s in zip(IN_CHANNELS, sizes))


def _up2x(x):
    return F.interpolate(
        x, scale_factor=2, mode='bilinear', align_corners=False)


def test_bilinear_kernel_is_diagonal_and_separable():
    w = bilinear_kernel(3, 4)
    assert w.shape == (3, 3, 4, 4)
    taps = torch.tensor([0.25, 0.75, 0.75, 0.25])
    for i in range(3):
        for j in range(3):
            expect = torch.outer(taps, taps) if i == j else torch.zeros(4, 4)
            assert torch.equal(w[i, j], expect)
    assert torch.equal(
        bilinear_kernel(1, 3)[0, 0],
        torch.outer(*[torch.tensor([0.5, 1., 0.5])] * 2))


def test_bilinear_init_upsamples_a_ramp_like_bilinear_interpolation():
    neck = FCNSkipFusion(IN_CHANNELS, 2, mode='16s')
    rows = torch.arange(9.).view(9, 1)
    cols = torch.arange(12.).view(1, 12)
    ramp = torch.stack([0.3 * rows + 0.7 * cols, 2 - 0.5 * rows + 0 * cols])
    with torch.no_grad():
        up = neck.upscore2(ramp[None])[0]
    assert up.shape == (2, 18, 24)
    # Output pixel o sits at input coordinate (o + 0.5) / 2 - 0.5.
    r = (torch.arange(18.) + 0.5) / 2 - 0.5
    c = (torch.arange(24.) + 0.5) / 2 - 0.5
    exact = torch.stack([
        0.3 * r[:, None] + 0.7 * c[None, :],
        2 - 0.5 * r[:, None] + 0 * c[None, :]
    ])
    torch.testing.assert_close(up[:, 1:-1, 1:-1], exact[:, 1:-1, 1:-1])
    x = torch.randn(1, 2, 7, 8)
    with torch.no_grad():
        torch.testing.assert_close(
            neck.upscore2(x)[..., 1:-1, 1:-1],
            _up2x(x)[..., 1:-1, 1:-1])


def test_upsamplers_are_learnable_transposed_convs():
    neck = FCNSkipFusion(IN_CHANNELS, 3)
    for up in (neck.upscore2, neck.upscore_pool4):
        assert isinstance(up, torch.nn.ConvTranspose2d)
        assert up.bias is None and up.weight.requires_grad
        assert (up.kernel_size, up.stride, up.padding) == ((4, 4), (2, 2), (1,
                                                                            1))
    neck(_levels((21, 26), (11, 13), (6, 7)))[0].sum().backward()
    assert neck.upscore2.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('mode, stride', [('32s', 32), ('16s', 16), ('8s', 8)])
@pytest.mark.parametrize('size', [(45, 45), (33, 47)])
def test_modes_output_strides_on_vgg_levels(mode, stride, size):
    backbone = VGG16(
        channels=(4, 8, IN_CHANNELS[0], IN_CHANNELS[1], 16),
        fc_channels=IN_CHANNELS[2]).eval()
    neck = FCNSkipFusion(IN_CHANNELS, 5, mode=mode)
    out = neck(backbone(torch.randn(2, 3, *size)))
    assert len(out) == 1
    assert out[0].shape == (2, 5, *(math.ceil(n / stride) for n in size))


def test_modes_build_only_their_layers():
    names = {
        m:
        {n
         for n, _ in FCNSkipFusion(IN_CHANNELS, 3, mode=m).named_children()}
        for m in ('32s', '16s', '8s')
    }
    assert names['32s'] == {'score_fr'}
    assert names['16s'] == {'score_fr', 'upscore2', 'score_pool4'}
    assert names['8s'] == names['16s'] | {'upscore_pool4', 'score_pool3'}


def test_zero_init_skips_make_8s_the_upsampled_32s_at_init():
    torch.manual_seed(0)
    net8 = FCNSkipFusion(IN_CHANNELS, 3, mode='8s')
    net32 = FCNSkipFusion(IN_CHANNELS, 3, mode='32s')
    net32.score_fr.load_state_dict(net8.score_fr.state_dict())
    levels = _levels((21, 26), (11, 13), (6, 7))
    with torch.no_grad():
        out8, = net8(levels)
        out32, = net32(levels)
        # Pool3/pool4 contribute nothing until their scores learn.
        other = (torch.randn_like(levels[0]), torch.randn_like(levels[1]),
                 levels[2])
        assert torch.equal(net8(other)[0], out8)
        ref = _up2x(_up2x(out32)[..., :11, :13])[..., :21, :26]
        assert out8.shape == ref.shape == (2, 3, 21, 26)
        torch.testing.assert_close(out8[..., 3:-3, 3:-3], ref[..., 3:-3, 3:-3])
        net8.score_pool3.weight.fill_(0.1)
        assert not torch.allclose(net8(levels)[0], out8)
    assert net8.score_fr.weight.std() > 0


def test_equal_sizes_are_added_without_upsampling():
    """A backbone at output stride 8 gives pool3, pool4, fc7 one size."""
    neck = FCNSkipFusion(IN_CHANNELS, 3)
    for conv in (neck.score_pool3, neck.score_pool4):
        torch.nn.init.normal_(conv.weight)
    levels = _levels((9, 11), (9, 11), (9, 11))
    with torch.no_grad():
        out, = neck(levels)
        expect = (
            neck.score_fr(levels[2]) + neck.score_pool4(levels[1]) +
            neck.score_pool3(levels[0]))
    torch.testing.assert_close(out, expect)


def test_output_stride_16_levels_upsample_only_once():
    neck = FCNSkipFusion(IN_CHANNELS, 3)
    levels = _levels((9, 11), (5, 6), (5, 6))
    with torch.no_grad():
        out, = neck(levels)
        fused = neck.score_fr(levels[2]) + neck.score_pool4(levels[1])
        expect = (
            neck.upscore_pool4(fused)[..., :9, :11] +
            neck.score_pool3(levels[0]))
    torch.testing.assert_close(out, expect)


def test_a_skip_one_pixel_larger_is_matched_by_resizing():
    """Floor-mode pools give a skip of 2 * coarse + 1."""
    neck = FCNSkipFusion(IN_CHANNELS, 3, mode='16s')
    assert neck(_levels((1, 1), (11, 13), (5, 6)))[0].shape == (2, 3, 11, 13)


@pytest.mark.parametrize('sizes', [((1, 1), (12, 12), (3, 3)),
                                   ((1, 1), (12, 12), (6, 5))])
def test_other_size_ratios_raise(sizes):
    neck = FCNSkipFusion(IN_CHANNELS, 3, mode='16s')
    with pytest.raises(ValueError, match='expected a coarser level'):
        neck(_levels(*sizes))


def test_in_index_and_channel_check():
    neck = FCNSkipFusion(IN_CHANNELS, 3, in_index=(1, 2, 3))
    extra = torch.randn(2, 1, 50, 50)
    assert neck((extra, ) + _levels((9, 9), (5, 5), (3, 3)))[0].shape == (2, 3,
                                                                          9, 9)
    with pytest.raises(ValueError, match='expected 16 channels, got 4'):
        FCNSkipFusion(IN_CHANNELS, 3)(_levels((9, 9), (5, 5), (3, 3))[::-1])


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=(4, 8)), ValueError),
    (dict(in_channels=16), ValueError),
    (dict(in_channels=(4, 0, 16)), ValueError),
    (dict(channels=0), ValueError),
    (dict(channels=2.0), TypeError),
    (dict(mode='4s'), ValueError),
    (dict(in_index=(0, 1)), ValueError),
    (dict(in_index=-1), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(in_channels=IN_CHANNELS, channels=3)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        FCNSkipFusion(**args)


def test_bilinear_kernel_bad_arguments_raise():
    with pytest.raises(ValueError, match='expected'):
        bilinear_kernel(0, 4)
