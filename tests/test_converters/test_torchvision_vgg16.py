"""torchvision's VGG-16 weights, converted, load into segplug's VGG16."""
import pytest
import torch
import torch.nn.functional as F

from segplug.converters import convert_torchvision_vgg16
from segplug.converters.torchvision_vgg16 import fc6_taps
from segplug.models.backbones.vgg import VGG16

# torchvision's features.N index of each of the 13 convs, in order.
TV_CONVS = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
VGG_CONVS = [(s, j) for s, depth in enumerate((2, 2, 3, 3, 3))
             for j in range(depth)]


def _torchvision_vgg16_state_dict():
    """Keys and shapes of ``torchvision.models.vgg16().state_dict()``."""
    gen = torch.Generator().manual_seed(0)
    sd, in_ch = {}, 3
    for index, (stage, _) in zip(TV_CONVS, VGG_CONVS):
        out_ch = (64, 128, 256, 512, 512)[stage]
        sd[f'features.{index}.weight'] = torch.randn(
            out_ch, in_ch, 3, 3, generator=gen)
        sd[f'features.{index}.bias'] = torch.randn(out_ch, generator=gen)
        in_ch = out_ch
    fc_shapes = ((4096, 25088), (4096, 4096), (1000, 4096))
    for index, (out_f, in_f) in zip((0, 3, 6), fc_shapes):
        sd[f'classifier.{index}.weight'] = torch.randn(
            out_f, in_f, generator=gen)
        sd[f'classifier.{index}.bias'] = torch.randn(out_f, generator=gen)
    return sd


@pytest.fixture(scope='module')
def tv_state_dict():
    return _torchvision_vgg16_state_dict()


def test_converter_maps_every_conv_and_loads_strictly(tv_state_dict):
    out = convert_torchvision_vgg16(tv_state_dict)
    for index, (stage, j) in zip(TV_CONVS, VGG_CONVS):
        for p in ('weight', 'bias'):
            assert torch.equal(out[f'stages.{stage}.{j}.conv.{p}'],
                               tv_state_dict[f'features.{index}.{p}'])
    assert out['fc6.conv.weight'].shape == (4096, 512, 7, 7)
    assert out['fc7.conv.weight'].shape == (4096, 4096, 1, 1)
    assert torch.equal(out['fc7.conv.weight'].flatten(1),
                       tv_state_dict['classifier.3.weight'])
    assert torch.equal(out['fc6.conv.bias'],
                       tv_state_dict['classifier.0.bias'])
    model = VGG16(fc_type='fcn')
    model.load_state_dict(out, strict=True)
    convs = [m.conv for stage in model.stages for m in stage]
    assert torch.equal(convs[0].weight, tv_state_dict['features.0.weight'])
    assert torch.equal(convs[-1].bias, tv_state_dict['features.28.bias'])
    assert torch.equal(model.fc6.conv.weight, out['fc6.conv.weight'])


def test_converted_fc6_on_a_7x7_map_is_the_linear_layer(tv_state_dict):
    """The reshape keeps torchvision's flatten order (C, H, W)."""
    out = convert_torchvision_vgg16(tv_state_dict)
    x = torch.randn(1, 512, 7, 7)
    conv = F.conv2d(x, out['fc6.conv.weight'], out['fc6.conv.bias'])
    linear = F.linear(
        x.flatten(1), tv_state_dict['classifier.0.weight'],
        tv_state_dict['classifier.0.bias'])
    torch.testing.assert_close(conv.flatten(1), linear, rtol=1e-4, atol=1e-3)


def test_converter_largefov_subsamples_as_deeplab(tv_state_dict):
    out = convert_torchvision_vgg16(tv_state_dict, fc_type='largefov')
    fc6 = tv_state_dict['classifier.0.weight'].reshape(4096, 512, 7, 7)
    fc7 = tv_state_dict['classifier.3.weight']
    assert out['fc6.conv.weight'].shape == (1024, 512, 3, 3)
    assert out['fc7.conv.weight'].shape == (1024, 1024, 1, 1)
    assert torch.equal(out['fc6.conv.weight'][5, 7, 1, 2], fc6[20, 7, 3, 6])
    assert torch.equal(out['fc6.conv.weight'],
                       fc6[0::4][:, :, [0, 3, 6]][:, :, :, [0, 3, 6]])
    assert torch.equal(out['fc6.conv.bias'],
                       tv_state_dict['classifier.0.bias'][0::4])
    assert torch.equal(out['fc7.conv.weight'][10, 3, 0, 0], fc7[40, 12])
    assert torch.equal(out['fc7.conv.bias'][10],
                       tv_state_dict['classifier.3.bias'][40])
    model = VGG16(fc_type='largefov', output_stride=8)
    model.load_state_dict(out, strict=True)
    assert model.fc6.conv.dilation == (12, 12)


@pytest.mark.parametrize('kernel, taps', [(7, [0, 1, 2, 3, 4, 5, 6]),
                                          (4, [0, 2, 4, 6]), (3, [0, 3, 6]),
                                          (2, [0, 6]), (1, [3])])
def test_fc6_taps_decimate_the_7x7(kernel, taps):
    assert fc6_taps(kernel) == taps


@pytest.mark.parametrize('kernel, err', [(5, ValueError), (6, ValueError),
                                         (8, ValueError), (0, ValueError),
                                         (4.0, TypeError)])
def test_fc6_kernels_that_do_not_decimate_evenly_are_refused(kernel, err):
    with pytest.raises(err, match='expected'):
        fc6_taps(kernel)


def test_converter_4x4_fc6_keeps_every_other_tap(tv_state_dict):
    """DeepLab v1's 4x4 fc6 (DeepLab-CRF, DeepLab-CRF-4x4): taps [0, 2, 4,
    6] of every row and column, all 4,096 filters; loads strictly into
    either model, whose dilations differ."""
    out = convert_torchvision_vgg16(tv_state_dict, fc6_kernel=4)
    fc6 = tv_state_dict['classifier.0.weight'].reshape(4096, 512, 7, 7)
    assert out['fc6.conv.weight'].shape == (4096, 512, 4, 4)
    assert torch.equal(out['fc6.conv.weight'][9, 2, 1, 3], fc6[9, 2, 2, 6])
    assert torch.equal(out['fc6.conv.weight'],
                       fc6[:, :, ::2, ::2].contiguous())
    assert torch.equal(out['fc7.conv.weight'].flatten(1),
                       tv_state_dict['classifier.3.weight'])
    for dilation in (4, 8):
        model = VGG16(output_stride=8, fc6_kernel=4, fc6_dilation=dilation)
        model.load_state_dict(out, strict=True)


def test_converter_keeps_every_nth_filter(tv_state_dict):
    out = convert_torchvision_vgg16(
        tv_state_dict, fc6_kernel=3, fc_channels=512)
    largefov = convert_torchvision_vgg16(tv_state_dict, fc_type='largefov')
    assert out['fc6.conv.weight'].shape == (512, 512, 3, 3)
    assert torch.equal(out['fc6.conv.weight'],
                       largefov['fc6.conv.weight'][::2])
    assert torch.equal(out['fc7.conv.weight'][3, 5, 0, 0],
                       tv_state_dict['classifier.3.weight'][24, 40])
    with pytest.raises(ValueError, match='expected a divisor of 4096'):
        convert_torchvision_vgg16(tv_state_dict, fc_channels=1000)


def test_converter_reports_bad_state_dicts(tv_state_dict):
    sd = dict(tv_state_dict)
    del sd['features.5.bias']
    sd['features.4.weight'] = torch.zeros(1)
    with pytest.raises(
            ValueError,
            match=r"expected.*'features\.5\.bias'.*"
            r"'features\.4\.weight'"):
        convert_torchvision_vgg16(sd)
    sd = dict(tv_state_dict)
    sd['features.7.weight'] = torch.zeros(128, 128, 5, 5)
    with pytest.raises(
            ValueError,
            match=r'features\.7\.weight: expected '
            r'shape \(128, 128, 3, 3\), got \(128, 128, 5, 5\)'):
        convert_torchvision_vgg16(sd)
    with pytest.raises(ValueError, match='expected'):
        convert_torchvision_vgg16(tv_state_dict, fc_type='7x7')


def test_imagenet_classifier_is_optional(tv_state_dict):
    sd = {k: v for k, v in tv_state_dict.items() if 'classifier.6' not in k}
    out = convert_torchvision_vgg16(sd, fc_type='largefov')
    assert not any('classifier' in k for k in out)
    assert len(out) == 2 * 13 + 4


@pytest.mark.slow
def test_convert_tool_writes_a_backbone_checkpoint(tv_state_dict, tmp_path,
                                                   run_tool):
    src, dst = tmp_path / 'vgg16.pth', tmp_path / 'out.pth'
    torch.save(tv_state_dict, src)
    out = run_tool([
        'tools/convert_vgg16.py',
        str(src),
        str(dst), '--fc-type', 'largefov'
    ]).stdout
    assert "VGG16(fc_type='largefov', fc6_kernel=3, fc_channels=1024)" in out
    ckpt = torch.load(dst, weights_only=True)
    weights = ckpt['state_dict']
    assert all(k.startswith('backbone.') for k in weights)
    assert torch.equal(weights['backbone.stages.4.2.conv.weight'],
                       tv_state_dict['features.28.weight'])
    model = VGG16(fc_type='largefov')
    model.load_state_dict({
        k[len('backbone.'):]: v
        for k, v in weights.items()
    },
                          strict=True)
    bad = tmp_path / 'bad.pth'
    torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)}, bad)
    proc = run_tool(['tools/convert_vgg16.py',
                     str(bad), str(dst)],
                    check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith('error: torchvision vgg16')
    assert 'missing keys' in proc.stderr


def test_convert_tool_makes_the_4x4_fc6(tv_state_dict, tmp_path,
                                        run_tool_in_process, capsys):
    src, dst = tmp_path / 'vgg16.pth', tmp_path / 'out.pth'
    torch.save(tv_state_dict, src)
    run_tool_in_process(
        ['tools/convert_vgg16.py',
         str(src),
         str(dst), '--fc6-kernel', '4'])
    assert ("VGG16(fc_type='fcn', fc6_kernel=4, fc_channels=4096)"
            in capsys.readouterr().out)
    weights = torch.load(dst, weights_only=True)['state_dict']
    assert weights['backbone.fc6.conv.weight'].shape == (4096, 512, 4, 4)
    with pytest.raises(SystemExit, match='^error: fc6 kernel: expected'):
        run_tool_in_process([
            'tools/convert_vgg16.py',
            str(src),
            str(dst), '--fc6-kernel', '5'
        ])
