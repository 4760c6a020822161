import copy

import pytest
import torch
from mmcv.cnn import DepthwiseSeparableConvModule

from segplug.models.necks import ASPP


def _levels(n=2, sizes=((45, 45), (23, 23)), channels=(8, 16)):
    return tuple(torch.randn(n, c, *s) for c, s in zip(channels, sizes))


@pytest.mark.parametrize('size', [(45, 45), (23, 31), (1, 1)])
def test_output_shape_on_odd_sizes(size):
    neck = ASPP(in_channels=16, channels=12, dilations=(1, 2, 3))
    low = torch.randn(2, 8, 9, 9)
    out = neck((low, torch.randn(2, 16, *size)))
    assert len(out) == 2
    assert out[0] is low
    assert out[1].shape == (2, 12, *size)


def test_in_index_processes_that_level_only():
    inputs = _levels()
    neck = ASPP(in_channels=8, channels=4, dilations=(1, 2), in_index=0)
    out = neck(inputs)
    assert out[0].shape == (2, 4, 45, 45)
    assert out[1] is inputs[1]


@pytest.mark.parametrize('image_pool', [True, False])
@pytest.mark.parametrize('separable', [True, False])
@pytest.mark.parametrize('project_kernel_size', [1, 3])
def test_options(image_pool, separable, project_kernel_size):
    neck = ASPP(
        in_channels=16,
        channels=8,
        dilations=(1, 6, 12),
        image_pool=image_pool,
        separable=separable,
        project_kernel_size=project_kernel_size,
        dropout_ratio=0.1)
    assert (neck.image_pool is not None) == image_pool
    assert len(neck.branches) == 3
    assert isinstance(neck.branches[1],
                      DepthwiseSeparableConvModule) == separable
    assert neck.project.conv.kernel_size == (project_kernel_size, ) * 2
    assert neck.project.conv.in_channels == 8 * (3 + int(image_pool))
    out = neck(_levels())
    assert out[-1].shape == (2, 8, 23, 23)


def test_dilation_one_is_1x1_and_others_dilate():
    neck = ASPP(in_channels=16, channels=8, dilations=(1, 6, 12))
    assert neck.branches[0].conv.kernel_size == (1, 1)
    assert neck.branches[1].conv.dilation == (6, 6)
    assert neck.branches[2].conv.padding == (12, 12)


def test_image_pool_branch_sees_the_whole_image():
    """Changing one far-away pixel changes every output pixel only through
    the image-level branch."""
    torch.manual_seed(0)
    x = torch.randn(1, 16, 33, 33)
    y = x.clone()
    y[..., 0, 0] += 10
    for pool, expect_global in ((True, True), (False, False)):
        neck = ASPP(
            in_channels=16, channels=16, dilations=(1, 2),
            image_pool=pool).eval()
        with torch.no_grad():
            diff = (neck((x, ))[0] - neck((y, ))[0]).abs()
        far = diff[..., 20:, 20:].sum(dim=1)
        assert bool((far > 0).all()) == expect_global
        assert bool((far > 0).any()) == expect_global


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=0), ValueError),
    (dict(in_channels=2.5), TypeError),
    (dict(channels=-1), ValueError),
    (dict(dilations=()), ValueError),
    (dict(dilations=6), ValueError),
    (dict(dilations=(1, 0)), ValueError),
    (dict(project_kernel_size=5), ValueError),
    (dict(dropout_ratio=1.5), ValueError),
    (dict(mode='mean'), ValueError),
    (dict(mode='sum', image_pool=True), ValueError),
    (dict(mode='sum', separable=True), ValueError),
    (dict(mode='sum', sum_hidden_channels=0), ValueError),
    (dict(sum_hidden_channels=8), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(in_channels=16, channels=8)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        ASPP(**args)


def test_wrong_input_channels_raise():
    neck = ASPP(in_channels=32, channels=8)
    with pytest.raises(ValueError, match='expected 32 channels, got 16'):
        neck(_levels())


def test_defaults_follow_the_mode():
    concat = ASPP(in_channels=16, channels=8)
    assert concat.dilations == (1, 6, 12, 18)
    assert concat.image_pool is not None
    summed = ASPP(in_channels=16, channels=8, mode='sum')
    assert summed.dilations == (6, 12, 18, 24)
    assert summed.image_pool is None and summed.project is None


@pytest.mark.parametrize('size', [(45, 45), (23, 31)])
def test_sum_mode_adds_one_classifier_per_rate(size):
    """DeepLab v2's ASPP: the output is the sum of independent per-rate
    branches, each a 3x3 atrous conv straight to ``channels``."""
    torch.manual_seed(0)
    neck = ASPP(in_channels=16, channels=5, mode='sum', dilations=(2, 4, 6))
    x = torch.randn(2, 16, *size)
    out = neck((x, ))[0]
    assert out.shape == (2, 5, *size)
    for branch, rate in zip(neck.branches, (2, 4, 6)):
        conv = branch[-1]
        assert conv.kernel_size == (3, 3) and conv.dilation == (rate, rate)
        assert conv.bias is not None
        assert 0.005 < float(conv.weight.std()) < 0.02
    with torch.no_grad():
        expected = sum(
            torch.nn.functional.conv2d(
                x, b[-1].weight, b[-1].bias, padding=r, dilation=r)
            for b, r in zip(neck.branches, (2, 4, 6)))
    torch.testing.assert_close(out, expected)


def test_sum_mode_hidden_layers_follow_the_vgg_model():
    neck = ASPP(
        in_channels=16,
        channels=5,
        mode='sum',
        dilations=(12, ),
        sum_hidden_channels=8,
        dropout_ratio=0.5)
    branch = neck.branches[0]
    kinds = [type(m).__name__ for m in branch]
    assert kinds == [
        'ConvModule', 'Dropout2d', 'ConvModule', 'Dropout2d', 'Conv2d'
    ]
    assert branch[0].conv.dilation == (12, 12)
    assert branch[2].conv.kernel_size == (1, 1)
    assert branch[-1].kernel_size == (1, 1)
    neck.eval()
    out = neck((torch.randn(1, 16, 9, 11), ))[0]
    assert out.shape == (1, 5, 9, 11)


def _image_pool_bn(neck):
    return neck.image_pool[1].bn


def test_batch_of_one_trains_on_the_running_statistics():
    """One image pools to one value per channel: the image-level BN uses its
    running statistics for that step and keeps them; the other BNs (9x9
    values each) learn from the batch as usual."""
    torch.manual_seed(0)
    neck = ASPP(in_channels=8, channels=4, dilations=(1, 2)).train()
    pool_bn, branch_bn = _image_pool_bn(neck), neck.branches[0].bn
    pool_bn.running_mean.fill_(-1.)
    pool_before = pool_bn.running_mean.clone()
    branch_before = branch_bn.running_mean.clone()
    out = neck((torch.randn(1, 8, 9, 9), ))[0]
    assert out.shape == (1, 4, 9, 9) and torch.isfinite(out).all()
    out.square().mean().backward()
    conv_grad = neck.image_pool[1].conv.weight.grad
    assert conv_grad is not None and conv_grad.abs().sum() > 0
    torch.testing.assert_close(pool_bn.running_mean, pool_before)
    assert int(pool_bn.num_batches_tracked) == 0
    assert not torch.equal(branch_bn.running_mean, branch_before)
    assert pool_bn.training


def test_batch_of_two_is_plain_batch_norm():
    from mmcv.cnn import ConvModule
    torch.manual_seed(0)
    neck = ASPP(in_channels=8, channels=4, dilations=(1, 2)).train()
    plain = copy.deepcopy(neck)
    plain.image_pool[1] = ConvModule(8, 4, 1, norm_cfg=dict(type='BN'))
    plain.image_pool[1].load_state_dict(neck.image_pool[1].state_dict())
    x = torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(neck((x, ))[0], plain((x, ))[0])
    torch.testing.assert_close(
        _image_pool_bn(neck).running_var,
        _image_pool_bn(plain).running_var)
    assert int(_image_pool_bn(neck).num_batches_tracked) == 1
