import math

import pytest
import torch
from mmseg.models.backbones import ResNetV1c

from segplug.models.backbones.vgg import VGG16
from segplug.models.necks import MultiScaleBranches

MSC_LEVELS = ('input', 'pool1', 'pool2', 'pool3', 'pool4', 'fc7')


def _vgg(output_stride=8):
    return VGG16(
        channels=(4, 8, 8, 16, 16),
        fc_channels=16,
        output_stride=output_stride,
        fc_type='largefov',
        levels=MSC_LEVELS).eval()


def _branch_strides(neck):
    return tuple(branch[0].conv.stride[0] for branch in neck.branches)


@pytest.mark.parametrize('size', [(45, 45), (61, 47)])
@pytest.mark.parametrize('output_stride, branch_strides', [
    (8, (8, 4, 2, 1, 1)),
    (16, (16, 8, 4, 2, 1)),
    (32, (32, 16, 8, 4, 2)),
])
def test_vgg_levels_reach_fc7s_size_by_stride_alone(size, output_stride,
                                                    branch_strides):
    backbone = _vgg(output_stride)
    neck = MultiScaleBranches(
        backbone.out_channels, backbone.strides, channels=4).eval()
    assert _branch_strides(neck) == branch_strides
    levels = backbone(torch.randn(2, 3, *size))
    fc7 = levels[-1]
    fc7_size = tuple(math.ceil(n / output_stride) for n in size)
    assert fc7.shape[2:] == fc7_size
    for branch, x in zip(neck.branches, levels[:-1]):
        # ceil-mode sizes: the strided 3x3 conv lands on fc7's size exactly
        assert branch(x).shape == (2, 4, *fc7_size)
    out, = neck(levels)
    assert neck.out_channels == 16 + 5 * 4
    assert out.shape == (2, 36, *fc7_size)
    assert torch.equal(out[:, :16], fc7)


def test_the_papers_defaults_give_640_more_channels():
    with torch.device('meta'):
        neck = MultiScaleBranches((3, 64, 128, 256, 512, 1024),
                                  (1, 2, 4, 8, 8, 8))
    assert neck.channels == 128 and neck.out_channels == 1024 + 640
    assert _branch_strides(neck) == (8, 4, 2, 1, 1)
    first, drop1, second, drop2 = neck.branches[0]
    assert first.conv.kernel_size == (3, 3) and first.conv.padding == (1, 1)
    assert second.conv.kernel_size == (1, 1)
    assert drop1.p == drop2.p == 0.5
    assert not first.with_norm and first.conv.bias is not None
    assert isinstance(first.activate, torch.nn.ReLU)


@pytest.mark.parametrize('size', [(45, 45), (61, 47)])
@pytest.mark.parametrize('strides, dilations, level_strides', [
    ((1, 2, 2, 2), (1, 1, 1, 1), (4, 8, 16, 32)),
    ((1, 2, 1, 1), (1, 1, 2, 4), (4, 8, 8, 8)),
])
def test_works_on_mmsegs_resnet(size, strides, dilations, level_strides):
    backbone = ResNetV1c(
        depth=18,
        stem_channels=8,
        base_channels=4,
        strides=strides,
        dilations=dilations)
    backbone.eval()  # mmseg's ResNet.train returns None
    neck = MultiScaleBranches((4, 8, 16, 32), level_strides, channels=6).eval()
    levels = backbone(torch.randn(1, 3, *size))
    out, = neck(levels)
    last = level_strides[-1]
    assert out.shape == (1, 32 + 3 * 6, *(math.ceil(n / last) for n in size))
    assert torch.equal(out[:, :32], levels[-1])


# (level size, its stride, the branch's conv stride, the last level's size
# at stride 8): 8 / 3 gives stride 2 and 8x8, resized to 6x6; a coarser
# level is upsampled; a floor-mode backbone's 6x6 against 5x5 is resized.
@pytest.mark.parametrize('size, level_stride, branch_stride, main_size', [
    (15, 3, 2, 6),
    (3, 16, 1, 6),
    (11, 4, 2, 5),
])
def test_sizes_that_strides_do_not_reach_are_resized(size, level_stride,
                                                     branch_stride, main_size):
    neck = MultiScaleBranches((2, 4), (level_stride, 8), channels=3).eval()
    assert _branch_strides(neck) == (branch_stride, )
    level = torch.randn(1, 2, size, size)
    assert neck.branches[0](level).shape[2] != main_size
    out, = neck((level, torch.randn(1, 4, main_size, main_size)))
    assert out.shape == (1, 7, main_size, main_size)


def test_resize_is_bilinear_with_align_corners():
    torch.manual_seed(0)
    neck = MultiScaleBranches((2, 4), (16, 8), channels=3,
                              dropout_ratio=0.).eval()
    corners = MultiScaleBranches((2, 4), (16, 8),
                                 channels=3,
                                 dropout_ratio=0.,
                                 align_corners=True).eval()
    corners.load_state_dict(neck.state_dict())
    x, main = torch.randn(1, 2, 4, 4), torch.randn(1, 4, 7, 7)
    small = neck.branches[0](x)
    expected = torch.nn.functional.interpolate(
        small, size=(7, 7), mode='bilinear', align_corners=True)
    torch.testing.assert_close(corners((x, main))[0][:, 4:], expected)
    assert not torch.allclose(neck((x, main))[0][:, 4:], expected)


def test_dropout_option():
    x = (torch.randn(2, 3, 17, 17), torch.randn(2, 8, 3, 3))
    plain = MultiScaleBranches((3, 8), (1, 8), channels=4, dropout_ratio=0.)
    assert not any(
        isinstance(m, torch.nn.Dropout) for m in plain.branches.modules())
    assert torch.equal(plain.train()(x)[0], plain(x)[0])
    neck = MultiScaleBranches((3, 8), (1, 8), channels=4, dropout_ratio=0.3)
    drops = [m for m in neck.branches[0] if isinstance(m, torch.nn.Dropout)]
    assert [d.p for d in drops] == [0.3, 0.3]
    assert not torch.equal(neck.train()(x)[0], neck(x)[0])
    neck.eval()
    assert torch.equal(neck(x)[0], neck(x)[0])


def test_layer_configs_reach_both_layers():
    neck = MultiScaleBranches((3, 8), (1, 8),
                              channels=4,
                              norm_cfg=dict(type='BN'),
                              act_cfg=None)
    layers = [m for m in neck.branches[0] if hasattr(m, 'conv')]
    assert len(layers) == 2
    for layer in layers:
        assert isinstance(layer.norm, torch.nn.BatchNorm2d)
        assert layer.conv.bias is None and not layer.with_activation
    out, = neck((torch.randn(2, 3, 17, 17), torch.randn(2, 8, 3, 3)))
    assert out.shape == (2, 12, 3, 3)


def test_gradients_reach_every_branch():
    torch.manual_seed(0)
    neck = MultiScaleBranches((3, 4, 8), (1, 2, 8),
                              channels=4,
                              dropout_ratio=0.)
    levels = tuple(
        torch.randn(2, c, n, n) for c, n in ((3, 45), (4, 23), (8, 6)))
    neck(levels)[0].square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in neck.parameters())


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=8), TypeError),
    (dict(in_channels=(8, )), ValueError),
    (dict(in_channels=(3, 0)), ValueError),
    (dict(in_channels=(3, 1.5)), TypeError),
    (dict(strides=8), TypeError),
    (dict(strides=(1, 2, 8)), ValueError),
    (dict(strides=(0, 8)), ValueError),
    (dict(channels=0), ValueError),
    (dict(channels=2.5), TypeError),
    (dict(dropout_ratio=1.0), ValueError),
    (dict(dropout_ratio=-0.1), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(in_channels=(3, 8), strides=(1, 8))
    if kwargs.get('in_channels') == (8, ):
        args['strides'] = (8, )
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        MultiScaleBranches(**args)


def test_wrong_inputs_raise():
    neck = MultiScaleBranches((3, 8), (1, 8), channels=2)
    with pytest.raises(ValueError, match='expected 2 levels, got 1'):
        neck((torch.randn(1, 8, 3, 3), ))
    with pytest.raises(ValueError, match='level 1: expected 8 channels, got'):
        neck((torch.randn(1, 3, 17, 17), torch.randn(1, 4, 3, 3)))
