import math

import pytest
import torch

from segplug.models.backbones.vgg import VGG16

SMALL = dict(channels=(4, 8, 8, 16, 16), fc_channels=16)


def _small(**kwargs):
    return VGG16(**SMALL, **kwargs)


def _conv_layers(model):
    return [m.conv for stage in model.stages for m in stage]


@pytest.mark.parametrize('size', [(45, 45), (33, 47)])
@pytest.mark.parametrize('fc_type', ['fcn', 'largefov'])
@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_output_shapes_and_strides_on_odd_sizes(size, fc_type, output_stride):
    model = _small(output_stride=output_stride, fc_type=fc_type).eval()
    outs = model(torch.randn(2, 3, *size))
    strides = (8, min(16, output_stride), output_stride)
    assert len(outs) == 3
    assert model.out_channels == (8, 16, 16)
    for out, c, s in zip(outs, model.out_channels, strides):
        assert out.shape == (2, c, *(math.ceil(n / s) for n in size))


def test_out_indices_select_levels():
    x = torch.randn(1, 3, 45, 45)
    model = _small(out_indices=(0, 2)).eval()
    pool3, fc7 = model(x)
    assert model.out_channels == (8, 16)
    assert pool3.shape == (1, 8, 6, 6) and fc7.shape == (1, 16, 2, 2)
    only_fc7 = _small(out_indices=(2, ))
    only_fc7.load_state_dict(model.state_dict())
    assert torch.equal(only_fc7.eval()(x)[0], fc7)


MSC_LEVELS = ('input', 'pool1', 'pool2', 'pool3', 'pool4', 'fc7')


def test_default_levels_are_pool3_pool4_fc7():
    model = _small(output_stride=8)
    assert model.levels == ('pool3', 'pool4', 'fc7')
    assert model.out_indices == (0, 1, 2)
    assert model.strides == (8, 8, 8)
    assert _small().strides == (8, 16, 32)


@pytest.mark.parametrize('size', [(45, 45), (61, 47)])
@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_every_level_with_its_stride_on_odd_sizes(size, output_stride):
    levels = ('input', 'pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc7')
    model = _small(output_stride=output_stride, levels=levels).eval()
    x = torch.randn(2, 3, *size)
    outs = model(x)
    os = output_stride
    strides = (1, 2, 4, 8, min(16, os), os, os)
    assert model.strides == strides
    assert model.out_channels == (3, 4, 8, 8, 16, 16, 16)
    assert len(outs) == 7 and outs[0] is x
    for out, c, s in zip(outs, model.out_channels, strides):
        assert out.shape == (2, c, *(math.ceil(n / s) for n in size))


def test_msc_levels_share_the_default_levels_tensors():
    x = torch.randn(1, 3, 45, 45)
    default = _small(output_stride=8).eval()
    msc = _small(output_stride=8, levels=MSC_LEVELS).eval()
    msc.load_state_dict(default.state_dict())
    outs = msc(x)
    assert msc.strides == (1, 2, 4, 8, 8, 8)
    assert msc.out_channels == (3, 4, 8, 8, 16, 16)
    for a, b in zip(outs[3:], default(x)):
        assert torch.equal(a, b)


def test_out_indices_index_the_given_levels():
    model = _small(levels=MSC_LEVELS, out_indices=(1, 5)).eval()
    pool1, fc7 = model(torch.randn(1, 3, 45, 45))
    assert model.out_channels == (4, 16) and model.strides == (2, 32)
    assert pool1.shape == (1, 4, 23, 23) and fc7.shape == (1, 16, 2, 2)


@pytest.mark.parametrize('output_stride, pool_strides, conv5_dilation', [
    (32, (2, 2, 2, 2, 2), 1),
    (16, (2, 2, 2, 2, 1), 1),
    (8, (2, 2, 2, 1, 1), 2),
])
@pytest.mark.parametrize('fc_type, kernel, base, fc_channels', [
    ('fcn', 7, 1, 4096),
    ('largefov', 3, 3, 1024),
])
def test_hole_algorithm_strides_and_dilations(output_stride, pool_strides,
                                              conv5_dilation, fc_type, kernel,
                                              base, fc_channels):
    with torch.device('meta'):
        model = VGG16(output_stride=output_stride, fc_type=fc_type)
    for pool, stride in zip(model.pools, pool_strides):
        assert pool.stride == stride
        assert (pool.kernel_size, pool.padding) == ((2, 0) if stride == 2 else
                                                    (3, 1))
    convs = _conv_layers(model)
    assert all(c.dilation == (1, 1) for c in convs[:10])
    assert all(c.dilation == (conv5_dilation, ) * 2 for c in convs[10:])
    assert all(c.padding == c.dilation for c in convs)
    fc6_dilation = base * 32 // output_stride
    assert model.fc6.conv.kernel_size == (kernel, kernel)
    assert model.fc6.conv.dilation == (fc6_dilation, ) * 2
    assert model.fc6.conv.padding == (fc6_dilation * (kernel // 2), ) * 2
    assert model.fc6.conv.out_channels == fc_channels
    assert model.fc7.conv.weight.shape == (fc_channels, fc_channels, 1, 1)
    # DeepLab-LargeFOV's own setting: rate 12 at output stride 8.
    if fc_type == 'largefov' and output_stride == 8:
        assert model.fc6.conv.dilation == (12, 12)


def test_norm_cfg_adds_bn_and_drops_conv_bias():
    plain = _small()
    assert not any(m.with_norm for stage in plain.stages for m in stage)
    assert plain.stages[0][0].conv.bias is not None
    bn = _small(norm_cfg=dict(type='BN'))
    assert all(
        isinstance(m.norm, torch.nn.BatchNorm2d) for stage in bn.stages
        for m in stage)
    assert bn.stages[0][0].conv.bias is None
    assert bn(torch.randn(2, 3, 33, 47))[-1].shape == (2, 16, 2, 2)


def test_dropout_after_fc6_and_fc7():
    model = _small(dropout=0.3)
    assert model.drop6.p == model.drop7.p == 0.3
    x = torch.randn(1, 3, 45, 45)
    assert not torch.equal(model.train()(x)[-1], model(x)[-1])
    model.eval()
    assert torch.equal(model(x)[-1], model(x)[-1])


@pytest.mark.parametrize(
    'kwargs, err',
    [
        (dict(channels=(4, 8, 8, 16)), ValueError),
        (dict(channels=8), ValueError),
        (dict(channels=(4, 8, 8, 16, 0)), ValueError),
        (dict(channels=(4, 8, 8, 16, 2.5)), TypeError),
        (dict(output_stride=4), ValueError),
        (dict(fc_type='resnet'), ValueError),
        (dict(fc_channels=0), ValueError),
        (dict(fc6_kernel=0), ValueError),
        (dict(fc6_kernel=3.0), TypeError),
        (dict(fc6_dilation=0), ValueError),
        # an even kernel needs an even dilation to keep the map's size
        (dict(fc6_kernel=4, fc6_dilation=3), ValueError),
        # ... which the 'fcn' preset's dilation at output stride 32 is not
        (dict(fc6_kernel=4), ValueError),
        (dict(dropout=1.0), ValueError),
        (dict(out_indices=(3, )), ValueError),
        (dict(out_indices=(2, 1)), ValueError),
        (dict(out_indices=()), ValueError),
        (dict(levels='fc7'), ValueError),
        (dict(levels=()), ValueError),
        (dict(levels=('pool3', 'conv5')), ValueError),
        (dict(levels=('fc7', 'pool3')), ValueError),
        (dict(levels=('pool3', 'pool3')), ValueError),
        (dict(levels=('input', 'fc7'), out_indices=(2, )), ValueError),
    ])
def test_bad_arguments_raise(kwargs, err):
    args = dict(SMALL)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        VGG16(**args)


@pytest.mark.parametrize('output_stride, preset_dilation', [(8, 4), (16, 2),
                                                            (32, 1)])
def test_fc6_kernel_and_dilation_override_the_preset(output_stride,
                                                     preset_dilation):
    with torch.device('meta'):
        preset = VGG16(output_stride=output_stride)
        kernel_only = VGG16(output_stride=output_stride, fc6_kernel=3)
        explicit = VGG16(
            output_stride=output_stride,
            fc6_kernel=4,
            fc6_dilation=8,
            fc_channels=512)
    assert preset.fc6.conv.dilation == (preset_dilation, ) * 2
    conv = kernel_only.fc6.conv
    assert conv.kernel_size == (3, 3)
    assert conv.dilation == (preset_dilation, ) * 2
    assert conv.out_channels == 4096
    conv = explicit.fc6.conv
    # an explicit dilation is used as given, whatever the output stride
    assert (conv.kernel_size, conv.dilation, conv.padding) == ((4, 4), (8, 8),
                                                               (12, 12))
    assert explicit.fc7.conv.weight.shape == (512, 512, 1, 1)
    assert (explicit.fc6_kernel, explicit.fc6_dilation,
            explicit.fc_channels) == (4, 8, 512)


@pytest.mark.parametrize('kernel, dilation', [(7, 4), (4, 4), (4, 8), (3, 12),
                                              (2, 2), (5, 1)])
@pytest.mark.parametrize('size', [(45, 45), (33, 47), (41, 38)])
def test_any_fc6_keeps_output_stride_8_at_odd_sizes(kernel, dilation, size):
    model = _small(
        output_stride=8, fc6_kernel=kernel, fc6_dilation=dilation).eval()
    fc7 = model(torch.randn(1, 3, *size))[-1]
    assert fc7.shape == (1, 16, *(math.ceil(n / 8) for n in size))


def test_chain_runs_the_forward_pass_in_order():
    model = _small(output_stride=8, levels=('pool3', 'pool5', 'fc7')).eval()
    x = torch.randn(1, 3, 45, 45)
    pool3, pool5, fc7 = model(x)
    chain = model.chain()
    assert list(chain._modules) == [
        'stage1', 'pool1', 'stage2', 'pool2', 'stage3', 'pool3', 'stage4',
        'pool4', 'stage5', 'pool5', 'fc6', 'drop6', 'fc7', 'drop7'
    ]
    assert chain.fc6 is model.fc6 and chain.stage1 is model.stages[0]
    assert torch.equal(chain(x), fc7)
    assert torch.equal(model.chain('pool5')(x), pool5)
    assert torch.equal(model.chain('pool3')(x), pool3)
    assert list(model.chain('fc6')._modules)[-2:] == ['fc6', 'drop6']
    with pytest.raises(ValueError, match="expected one of .*got 'input'"):
        model.chain('input')
