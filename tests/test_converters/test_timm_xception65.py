"""The converter against a re-implementation of timm's xception65 module
tree (``timm/models/xception_aligned.py`` and ``timm/layers``: same
attribute names, layer order and BN eps), since timm is not a dependency."""
import os.path as osp
import re
import runpy
import sys
from functools import partial

import pytest
import torch
import torch.nn as nn

from segplug.converters import convert_timm_xception65
from segplug.models.backbones.xception65 import Xception65


class BatchNormAct2d(nn.BatchNorm2d):
    """timm.layers.BatchNormAct2d: BN keys, ``drop`` and ``act`` children."""

    def __init__(self,
                 num_features,
                 eps=1e-5,
                 momentum=0.1,
                 apply_act=True,
                 act_layer=nn.ReLU):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.drop = nn.Identity()
        self.act = (
            act_layer(
                inplace=True) if apply_act and act_layer else nn.Identity())

    def forward(self, x):
        return self.act(self.drop(super().forward(x)))


def _padding(kernel_size, stride=1, dilation=1):
    """timm.layers.get_padding, used for ``padding=''``."""
    return ((stride - 1) + dilation * (kernel_size - 1)) // 2


def create_conv2d(in_chs,
                  out_chs,
                  kernel_size,
                  stride=1,
                  dilation=1,
                  depthwise=False):
    return nn.Conv2d(
        in_chs,
        out_chs,
        kernel_size,
        stride,
        _padding(kernel_size, stride, dilation),
        dilation,
        groups=in_chs if depthwise else 1,
        bias=False)


class ConvNormAct(nn.Module):

    def __init__(self,
                 in_chs,
                 out_chs,
                 kernel_size,
                 stride=1,
                 apply_act=True,
                 norm_layer=None,
                 act_layer=nn.ReLU):
        super().__init__()
        self.conv = create_conv2d(in_chs, out_chs, kernel_size, stride)
        self.bn = BatchNormAct2d(
            out_chs,
            apply_act=apply_act,
            act_layer=act_layer,
            **norm_layer.keywords)

    def forward(self, x):
        return self.bn(self.conv(x))


class SeparableConv2d(nn.Module):

    def __init__(self,
                 in_chs,
                 out_chs,
                 kernel_size=3,
                 stride=1,
                 dilation=1,
                 act_layer=nn.ReLU,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.conv_dw = create_conv2d(
            in_chs, in_chs, kernel_size, stride, dilation, depthwise=True)
        self.bn_dw = norm_layer(in_chs)
        self.act_dw = act_layer(inplace=True) if act_layer else nn.Identity()
        self.conv_pw = create_conv2d(in_chs, out_chs, 1)
        self.bn_pw = norm_layer(out_chs)
        self.act_pw = act_layer(inplace=True) if act_layer else nn.Identity()

    def forward(self, x):
        x = self.act_dw(self.bn_dw(self.conv_dw(x)))
        return self.act_pw(self.bn_pw(self.conv_pw(x)))


class XceptionModule(nn.Module):

    def __init__(self,
                 in_chs,
                 out_chs,
                 stride=1,
                 dilation=1,
                 start_with_relu=True,
                 no_skip=False,
                 act_layer=nn.ReLU,
                 norm_layer=None):
        super().__init__()
        out_chs = out_chs if isinstance(out_chs, tuple) else (out_chs, ) * 3
        self.in_channels = in_chs
        self.out_channels = out_chs[-1]
        self.no_skip = no_skip
        if not no_skip and (self.out_channels != in_chs or stride != 1):
            self.shortcut = ConvNormAct(
                in_chs,
                self.out_channels,
                1,
                stride,
                apply_act=False,
                norm_layer=norm_layer)
        else:
            self.shortcut = None
        separable_act_layer = None if start_with_relu else act_layer
        self.stack = nn.Sequential()
        for i in range(3):
            if start_with_relu:
                self.stack.add_module(f'act{i + 1}', act_layer(inplace=i > 0))
            self.stack.add_module(
                f'conv{i + 1}',
                SeparableConv2d(
                    in_chs,
                    out_chs[i],
                    3,
                    stride=stride if i == 2 else 1,
                    dilation=dilation,
                    act_layer=separable_act_layer,
                    norm_layer=norm_layer))
            in_chs = out_chs[i]

    def forward(self, x):
        skip = x
        x = self.stack(x)
        if self.shortcut is not None:
            skip = self.shortcut(skip)
        if not self.no_skip:
            x = x + skip
        return x


class ClassifierHead(nn.Module):

    def __init__(self, in_features, num_classes):
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_features, num_classes)
        self.flatten = nn.Flatten(1)

    def forward(self, x):
        return self.fc(self.global_pool(x).flatten(1))


class TimmXceptionAligned(nn.Module):
    """timm's XceptionAligned (preact=False) built by its ``xception65``."""

    def __init__(self, output_stride=32):
        super().__init__()
        norm_layer = partial(nn.BatchNorm2d, eps=.001, momentum=.1)
        block_cfg = [
            dict(in_chs=64, out_chs=128, stride=2),
            dict(in_chs=128, out_chs=256, stride=2),
            dict(in_chs=256, out_chs=728, stride=2),
            *([dict(in_chs=728, out_chs=728, stride=1)] * 16),
            dict(in_chs=728, out_chs=(728, 1024, 1024), stride=2),
            dict(
                in_chs=1024,
                out_chs=(1536, 1536, 2048),
                stride=1,
                no_skip=True,
                start_with_relu=False),
        ]
        layer_args = dict(act_layer=nn.ReLU, norm_layer=norm_layer)
        self.stem = nn.Sequential(
            ConvNormAct(3, 32, kernel_size=3, stride=2, **layer_args),
            ConvNormAct(32, 64, kernel_size=3, stride=1, **layer_args))
        curr_dilation, curr_stride = 1, 2
        self.feature_info = []
        self.blocks = nn.Sequential()
        for i, b in enumerate(block_cfg):
            b['dilation'] = curr_dilation
            if b['stride'] > 1:
                out_chs = b['out_chs']
                self.feature_info.append(
                    dict(
                        num_chs=out_chs[-2]
                        if isinstance(out_chs, tuple) else out_chs,
                        reduction=curr_stride,
                        module=f'blocks.{i}.stack.act3'))
                next_stride = curr_stride * b['stride']
                if next_stride > output_stride:
                    curr_dilation *= b['stride']
                    b['stride'] = 1
                else:
                    curr_stride = next_stride
            self.blocks.add_module(str(i), XceptionModule(**b, **layer_args))
        self.act = nn.Identity()
        self.head = ClassifierHead(2048, 1000)

    def forward_features(self, x):
        return self.act(self.blocks(self.stem(x)))


def _timm_features(model, x):
    """(reduction-4 feature as timm's hook-based features_only, last)."""
    info = next(f for f in model.feature_info if f['reduction'] == 4)
    assert info['num_chs'] == 256
    assert info['module'] == 'blocks.1.stack.act3'
    feats = []
    handle = model.get_submodule(info['module']).register_forward_hook(
        lambda mod, args, out: feats.append(out))
    last = model.forward_features(x)
    handle.remove()
    return feats[0], last


@pytest.fixture(scope='module')
def timm_model():
    """Random weights; BN statistics of one batch, so that activations keep
    a unit scale through the 21 blocks and any misplaced layer shows."""
    torch.manual_seed(0)
    model = TimmXceptionAligned(output_stride=16)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.momentum = 1.0
        nn.init.uniform_(m.weight, 0.5, 1.5)
        nn.init.normal_(m.bias, std=0.1)
    with torch.no_grad():
        model.train().forward_features(torch.randn(2, 3, 37, 41))
    for i, m in enumerate(bns):
        m.momentum = 0.1
        m.num_batches_tracked.fill_(i)
    return model.eval()


@pytest.fixture(scope='module')
def timm_sd(timm_model):
    return timm_model.state_dict()


def test_reference_tree_has_timm_keys_and_shapes(timm_sd):
    """Spot checks of timm's xception65 state dict layout."""
    assert len(timm_sd) == 794
    shapes = {k: tuple(v.shape) for k, v in timm_sd.items()}
    assert shapes['stem.0.conv.weight'] == (32, 3, 3, 3)
    assert shapes['stem.1.bn.running_var'] == (64, )
    assert shapes['stem.1.bn.num_batches_tracked'] == ()
    assert shapes['blocks.0.shortcut.conv.weight'] == (128, 64, 1, 1)
    assert shapes['blocks.0.shortcut.bn.bias'] == (128, )
    assert shapes['blocks.0.stack.conv1.conv_dw.weight'] == (64, 1, 3, 3)
    assert shapes['blocks.0.stack.conv1.bn_dw.weight'] == (64, )
    assert shapes['blocks.0.stack.conv1.conv_pw.weight'] == (128, 64, 1, 1)
    assert shapes['blocks.2.stack.conv3.bn_pw.running_mean'] == (728, )
    assert 'blocks.3.shortcut.conv.weight' not in shapes
    assert shapes['blocks.18.stack.conv2.conv_pw.weight'] == (728, 728, 1, 1)
    assert shapes['blocks.19.shortcut.conv.weight'] == (1024, 728, 1, 1)
    assert shapes['blocks.19.stack.conv3.conv_dw.weight'] == (1024, 1, 3, 3)
    assert shapes['blocks.20.stack.conv3.conv_pw.weight'] == (2048, 1536, 1, 1)
    assert 'blocks.20.shortcut.conv.weight' not in shapes
    assert shapes['head.fc.weight'] == (1000, 2048)
    assert not any(k.startswith('blocks.21') for k in shapes)


@pytest.fixture(scope='module')
def converted(timm_sd):
    return convert_timm_xception65(timm_sd)


def test_converted_weights_load_strictly_and_give_timm_features(
        timm_model, timm_sd, converted):
    assert len(converted) == len(timm_sd) - 2
    assert not any(k.startswith('head') for k in converted)
    assert torch.equal(
        converted['blocks.19.convs.2.depthwise_conv.conv.'
                  'weight'], timm_sd['blocks.19.stack.conv3.conv_dw.weight'])
    assert torch.equal(converted['blocks.0.shortcut.bn.running_var'],
                       timm_sd['blocks.0.shortcut.bn.running_var'])
    with torch.device('meta'):
        model = Xception65(output_stride=16)
    model.load_state_dict(converted, strict=True, assign=True)
    model.eval()
    x = torch.randn(1, 3, 37, 41)
    with torch.no_grad():
        low, out = model(x)
        ref_low, ref_out = _timm_features(timm_model, x)
    assert low.shape == (1, 256, 10, 11) and out.shape == (1, 2048, 3, 3)
    torch.testing.assert_close(low, ref_low, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)


def _segplug_name(timm_name):
    """Xception65's module for a timm conv module name (stem and shortcut
    convs keep theirs)."""
    m = re.fullmatch(r'(blocks\.\d+)\.stack\.conv(\d)\.conv_(dw|pw)',
                     timm_name)
    if m is None:
        return timm_name
    part = 'depthwise_conv' if m[3] == 'dw' else 'pointwise_conv'
    return f'{m[1]}.convs.{int(m[2]) - 1}.{part}.conv'


@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_every_conv_has_timms_geometry(output_stride):
    """Stride, padding, dilation and groups of all 132 convs as in timm, at
    every output stride (its stride-to-dilation rule included)."""
    with torch.device('meta'):
        ref = TimmXceptionAligned(output_stride=output_stride)
        model = Xception65(output_stride=output_stride)
    convs = [(n, m) for n, m in ref.named_modules()
             if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2 + 21 * 6 + 4
    ours = {n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    assert ours == {_segplug_name(n) for n, _ in convs}
    for name, conv in convs:
        mine = model.get_submodule(_segplug_name(name))
        assert (mine.stride, mine.padding, mine.dilation,
                mine.groups) == (conv.stride, conv.padding, conv.dilation,
                                 conv.groups), name
    last_dw = model.blocks[20].convs[0].depthwise_conv.conv
    assert last_dw.dilation == {
        8: (4, 4),
        16: (2, 2),
        32: (1, 1)
    }[output_stride]


@pytest.mark.parametrize('wrapper', ['state_dict', 'model'])
def test_wrapped_checkpoints_and_optional_bn_counters(timm_sd, converted,
                                                      wrapper):
    out = convert_timm_xception65({wrapper: timm_sd, 'epoch': 3})
    assert out.keys() == converted.keys()
    no_counters = {
        k: v
        for k, v in timm_sd.items()
        if 'num_batches_tracked' not in k and 'head' not in k
    }
    out = convert_timm_xception65(no_counters)
    assert not any('num_batches_tracked' in k for k in out)
    with torch.device('meta'):
        model = Xception65()
    model.load_state_dict(out, strict=True, assign=True)


def test_bad_state_dicts_raise_naming_the_key(timm_sd):
    sd = dict(timm_sd)
    del sd['blocks.7.stack.conv2.bn_dw.running_mean']
    sd['blocks.21.stack.conv1.conv_dw.weight'] = torch.zeros(1)
    with pytest.raises(
            ValueError,
            match=r"expected.*missing keys \['blocks"
            r"\.7\.stack\.conv2\.bn_dw\.running_mean'\].*"
            r"unexpected keys \['blocks\.21\.stack"):
        convert_timm_xception65(sd)
    sd = dict(timm_sd)
    sd['blocks.19.shortcut.conv.weight'] = torch.zeros(1024, 728, 3, 3)
    with pytest.raises(
            ValueError,
            match=r'blocks\.19\.shortcut\.conv\.weight'
            r': expected shape \(1024, 728, 1, 1\), got '
            r'\(1024, 728, 3, 3\)'):
        convert_timm_xception65(sd)
    with pytest.raises(TypeError, match='expected a dict'):
        convert_timm_xception65([timm_sd])


def _run_tool(monkeypatch, repo_root, *args):
    """Run tools/convert_xception65.py in this process (the subprocess would
    spend seconds importing torch and mmseg again)."""
    monkeypatch.setattr(sys, 'argv',
                        ['convert_xception65.py', *map(str, args)])
    runpy.run_path(
        osp.join(repo_root, 'tools', 'convert_xception65.py'),
        run_name='__main__')


def test_convert_tool_writes_a_backbone_checkpoint(timm_sd, converted,
                                                   tmp_path, monkeypatch,
                                                   repo_root, capsys):
    src, dst = tmp_path / 'xception65.pth', tmp_path / 'out.pth'
    # Half precision halves the file I/O; the converter keeps dtypes.
    torch.save(
        {
            'state_dict': {
                k: v.half() if v.is_floating_point() else v
                for k, v in timm_sd.items()
            }
        }, src)
    _run_tool(monkeypatch, repo_root, src, dst)
    assert capsys.readouterr().out.startswith(f'{dst}: 792 tensors')
    weights = torch.load(dst, weights_only=True)['state_dict']
    assert weights.keys() == {f'backbone.{k}' for k in converted}
    key = 'blocks.20.stack.conv3.conv_pw.weight'
    assert torch.equal(
        weights['backbone.blocks.20.convs.2.pointwise_conv.conv.weight'],
        timm_sd[key].half())
    bad = tmp_path / 'bad.pth'
    torch.save({'stem.0.conv.weight': torch.zeros(32, 3, 3, 3)}, bad)
    with pytest.raises(SystemExit) as exc:
        _run_tool(monkeypatch, repo_root, bad, dst)
    assert str(exc.value.code).startswith('error: timm xception65')
    assert 'missing keys' in str(exc.value.code)
    with pytest.raises(SystemExit, match='error: '):
        _run_tool(monkeypatch, repo_root, tmp_path / 'absent.pth', dst)
