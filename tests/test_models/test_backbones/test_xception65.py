import math

import pytest
import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from segplug.models.backbones.xception65 import Xception65

SMALL = dict(num_middle_blocks=1, width_mult=0.125)
SIZES = [(45, 45), (65, 47)]
# timm's xception65 has 39,916,312 parameters (39.92M in its model table);
# its classifier head.fc is 2048 x 1000 + 1000 of them.
TIMM_XCEPTION65_PARAMS = 39_916_312
TIMM_CLASSIFIER_PARAMS = 2048 * 1000 + 1000


def _randomize_bn(model, seed=0):
    """Non-trivial BN statistics so that eval-mode outputs are informative.
    """
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean = torch.randn(n, generator=gen) * 0.1
            m.running_var = torch.rand(n, generator=gen) + 0.5
    return model


@pytest.mark.parametrize('size', SIZES)
@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_output_shapes_on_odd_sizes(size, output_stride):
    model = Xception65(output_stride=output_stride, **SMALL).eval()
    assert model.out_channels == (32, 256)
    with torch.no_grad():
        low, out = model(torch.randn(2, 3, *size))
    assert low.shape == (2, 32, *(math.ceil(n / 4) for n in size))
    assert out.shape == (2, 256, *(math.ceil(n / output_stride) for n in size))


def test_full_width_matches_timm_xception65():
    with torch.device('meta'):
        meta = Xception65()
    params = sum(p.numel() for p in meta.parameters())
    assert params == TIMM_XCEPTION65_PARAMS - TIMM_CLASSIFIER_PARAMS
    assert params == 37_867_312
    assert meta.out_channels == (256, 2048)
    assert len(meta.blocks) == 3 + 16 + 2
    assert meta.stem[0].conv.out_channels == 32
    assert [b.out_channels for b in meta.blocks[:3]] == [128, 256, 728]
    assert [c.pointwise_conv.conv.out_channels
            for c in meta.blocks[-2].convs] == [728, 1024, 1024]
    assert [c.pointwise_conv.conv.out_channels
            for c in meta.blocks[-1].convs] == [1536, 1536, 2048]
    assert all(m.eps == 1e-3 for m in meta.modules()
               if isinstance(m, _BatchNorm))
    # Shapes only: meta tensors carry no data, the forward costs nothing.
    low, out = meta.eval()(torch.empty(2, 3, 65, 65, device='meta'))
    assert low.shape == (2, 256, 17, 17) and out.shape == (2, 2048, 5, 5)


@pytest.mark.parametrize('output_stride, strides, dilations', [
    (32, (2, 2, 2, 1, 2, 1), (1, 1, 1, 1, 1, 1)),
    (16, (2, 2, 2, 1, 1, 1), (1, 1, 1, 1, 1, 2)),
    (8, (2, 2, 1, 1, 1, 1), (1, 1, 1, 2, 2, 4)),
])
def test_strides_become_dilations(output_stride, strides, dilations):
    """Per block (entry 0-2, middle, exit, last): stride of the third conv
    and dilation of the depthwise convs, as timm/DeepLab."""
    with torch.device('meta'):
        model = Xception65(output_stride=output_stride, num_middle_blocks=2)
    blocks = list(model.blocks)
    # Group the two middle blocks under one expected value.
    expected = [*zip(strides, dilations)]
    expected = expected[:4] + expected[3:]
    assert len(blocks) == len(expected)
    for block, (stride, dilation) in zip(blocks, expected):
        for i, conv in enumerate(block.convs):
            dw = conv.depthwise_conv.conv
            assert dw.stride == ((stride, ) * 2 if i == 2 else (1, 1))
            assert dw.dilation == dw.padding == (dilation, ) * 2
        if block.shortcut is not None:
            assert block.shortcut.conv.stride == (stride, ) * 2
    assert [b.shortcut is None
            for b in blocks] == [False, False, False, True, True, False, True]


def test_atrous_output_is_the_dense_version_of_output_stride_32():
    """With the same weights, the output at stride 16 (8) sampled every 2nd
    (4th) pixel is the output at stride 32: the dilations compensate the
    removed strides exactly, on any input size."""
    x = torch.randn(1, 3, 45, 53)
    model32 = _randomize_bn(Xception65(output_stride=32, **SMALL)).eval()
    with torch.no_grad():
        low32, out32 = model32(x)
        for os_ in (16, 8):
            model = Xception65(output_stride=os_, **SMALL).eval()
            model.load_state_dict(model32.state_dict())
            low, out = model(x)
            step = 32 // os_
            torch.testing.assert_close(low, low32)
            torch.testing.assert_close(
                out[..., ::step, ::step], out32, rtol=1e-4, atol=1e-4)
            assert out.shape[-1] > out32.shape[-1]


def test_norm_eval_freezes_bn_statistics():
    x = torch.randn(2, 3, 33, 33)
    frozen = Xception65(norm_eval=True, **SMALL).train()
    bns = [m for m in frozen.modules() if isinstance(m, _BatchNorm)]
    assert frozen.training and not any(m.training for m in bns)
    before = [m.running_mean.clone() for m in bns]
    frozen(x)
    assert all(torch.equal(b, m.running_mean) for b, m in zip(before, bns))
    frozen.eval().train()
    assert not any(m.training for m in bns)
    plain = Xception65(**SMALL).train()
    assert all(m.training for m in plain.modules()
               if isinstance(m, _BatchNorm))
    mean = plain.stem[0].bn.running_mean.clone()
    plain(x)
    assert not torch.equal(mean, plain.stem[0].bn.running_mean)


def test_norm_and_act_cfg_apply_everywhere():
    model = Xception65(
        norm_cfg=dict(type='GN', num_groups=8),
        act_cfg=dict(type='LeakyReLU'),
        **SMALL).eval()
    assert not any(
        isinstance(m, (_BatchNorm, nn.ReLU)) for m in model.modules())
    assert isinstance(model.blocks[0].acts[0], nn.LeakyReLU)
    assert isinstance(model.blocks[-1].convs[0].depthwise_conv.activate,
                      nn.LeakyReLU)
    assert isinstance(model.blocks[0].convs[0].depthwise_conv.gn, nn.GroupNorm)
    with torch.no_grad():
        low, out = model(torch.randn(1, 3, 45, 45))
    assert low.shape == (1, 32, 12, 12) and out.shape == (1, 256, 3, 3)


def test_activation_placement_follows_timm():
    """Entry/middle/exit blocks: act before each separable conv (the first
    one not in place, its input is the shortcut's), none between depthwise
    and pointwise; the last block: dw-BN-act-pw-BN-act, no shortcut."""
    with torch.device('meta'):
        model = Xception65(num_middle_blocks=1)
    for block in model.blocks[:-1]:
        assert [type(a) for a in block.acts] == [nn.ReLU] * 3
        assert [a.inplace for a in block.acts] == [False, True, True]
        assert not any(c.depthwise_conv.with_activation
                       or c.pointwise_conv.with_activation
                       for c in block.convs)
        assert all(c.depthwise_conv.with_norm and c.pointwise_conv.with_norm
                   for c in block.convs)
    last = model.blocks[-1]
    assert all(isinstance(a, nn.Identity) for a in last.acts)
    assert all(
        c.depthwise_conv.with_activation and c.pointwise_conv.with_activation
        for c in last.convs)
    assert last.shortcut is None and last.no_skip


def test_middle_blocks_have_identity_shortcuts():
    model = _randomize_bn(Xception65(**SMALL)).eval()
    block = model.blocks[3]
    x = torch.randn(1, 88, 5, 5)
    with torch.no_grad():
        stack = x
        for act, conv in zip(block.acts, block.convs):
            stack = conv(act(stack))
        torch.testing.assert_close(block(x), stack + x)


def test_width_mult_rounds_channels_to_multiples_of_8():
    with torch.device('meta'):
        model = Xception65(width_mult=0.5, num_middle_blocks=1)
    assert model.out_channels == (128, 1024)
    assert model.stem[0].conv.out_channels == 16
    assert model.blocks[2].out_channels == 368  # 364 rounded
    assert model.blocks[-2].convs[0].pointwise_conv.conv.out_channels == 368


def test_registry_builds_with_in_channels():
    model = MODELS.build(dict(type='Xception65', in_channels=1, **SMALL))
    assert isinstance(model, Xception65)
    assert model.stem[0].conv.in_channels == 1
    low, out = model.eval()(torch.randn(1, 1, 17, 17))
    assert low.shape == (1, 32, 5, 5) and out.shape == (1, 256, 2, 2)


@pytest.mark.parametrize('kwargs, err', [
    (dict(output_stride=4), ValueError),
    (dict(output_stride=64), ValueError),
    (dict(output_stride='16'), ValueError),
    (dict(output_stride=16.0), ValueError),
    (dict(num_middle_blocks=0), ValueError),
    (dict(num_middle_blocks=2.0), TypeError),
    (dict(width_mult=0), ValueError),
    (dict(width_mult=-0.5), ValueError),
    (dict(width_mult='1'), TypeError),
    (dict(width_mult=True), TypeError),
    (dict(in_channels=0), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(SMALL)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        Xception65(**args)


@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_out_indices_select_levels_by_stride(output_stride):
    net = Xception65(
        output_stride=output_stride,
        num_middle_blocks=1,
        width_mult=0.125,
        out_indices=(0, 1, 2, 3)).eval()
    with torch.no_grad():
        outs = net(torch.randn(1, 3, 64, 64))
    sizes = [o.shape[-1] for o in outs]
    assert sizes == [16, 8, 64 // min(16, output_stride), 64 // output_stride]
    assert [o.shape[1] for o in outs] == list(net.out_channels)
    assert net.out_channels == (32, 32, 88, 256)
    default = Xception65(
        output_stride=output_stride, num_middle_blocks=1, width_mult=0.125)
    default.load_state_dict(net.state_dict())
    with torch.no_grad():
        low, last = default.eval()(torch.randn(1, 3, 64, 64) * 0 + 1)
        ref = net(torch.randn(1, 3, 64, 64) * 0 + 1)
    torch.testing.assert_close(low, ref[0])
    torch.testing.assert_close(last, ref[3])


@pytest.mark.parametrize('out_indices', [(), (3, 0), (0, 4), (1, 1), 2])
def test_bad_out_indices_raise(out_indices):
    with pytest.raises(ValueError, match='out_indices: expected'):
        Xception65(
            num_middle_blocks=1, width_mult=0.125, out_indices=out_indices)
