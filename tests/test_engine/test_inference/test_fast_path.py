"""The fast inference path: which BNs fold, that folding never changes the
output, bf16 under autocast with fp32 logits out, the options and refusals.
Its accuracy on a trained model: test_fast_inference_gate.py."""
import copy

import pytest
import torch
from mmengine.config import Config
from torch import nn

import segplug.engine.inference.fast_path as fast
from segplug.engine import ConfigError
from segplug.engine.inference.fast_path import (FastOptions,
                                                add_fast_inference_hook,
                                                fast_options, fold_batch_norms,
                                                make_fast)


class _Segmentor(nn.Module):
    """What the fast path needs of a segmentor: ``encode_decode``."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def encode_decode(self, x, metas):
        return self.body(x)


class _Shortcut(nn.Module):
    """conv -> BN, plus the conv's output itself: a BN folded into the conv
    would change the shortcut."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y) + y


def _randomise_bn(model):
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def _bns(model):
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_every_conv_bn_of_a_real_model_folds_with_equal_output():
    from mmengine.registry import init_default_scope

    from segplug.benchmarking.mmseg_pairs import build_pair
    init_default_scope('mmseg')
    ours, _ = build_pair('deeplabv3plus', tiny=True)
    ours = _randomise_bn(ours)
    before = _bns(ours)
    x = torch.randn(1, 3, 64, 64)
    metas = [dict(img_shape=(64, 64), ori_shape=(64, 64))]
    with torch.no_grad():
        ref = ours.encode_decode(x, metas)
    folded = fold_batch_norms(ours)
    with torch.no_grad():
        out = ours.encode_decode(x, metas)
    # the auxiliary head's BNs never run at inference and stay
    aux = _bns(ours.auxiliary_head)
    assert folded == before - aux and _bns(ours) == aux
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_a_relu_in_place_between_conv_and_bn_is_not_a_pair():
    body = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.BatchNorm2d(4),
        nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))
    model = _Segmentor(_randomise_bn(body))
    x = torch.randn(1, 3, 16, 16)
    ref = model.encode_decode(x, None)
    assert fold_batch_norms(model) == 1
    assert isinstance(body[2], nn.BatchNorm2d)
    assert isinstance(body[4], nn.Identity)
    torch.testing.assert_close(model.encode_decode(x, None), ref)


def test_a_fold_that_changes_the_output_is_undone():
    model = _Segmentor(_randomise_bn(_Shortcut()))
    x = torch.randn(1, 3, 16, 16)
    weight = model.body.conv.weight.clone()
    ref = model.encode_decode(x, None)
    assert fold_batch_norms(model) == 0
    assert isinstance(model.body.bn, nn.BatchNorm2d)
    assert torch.equal(model.body.conv.weight, weight)
    torch.testing.assert_close(model.encode_decode(x, None), ref)


def test_bf16_runs_the_network_in_bf16_and_hands_on_fp32():
    body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    model = _Segmentor(_randomise_bn(body)).eval()
    x = torch.randn(2, 3, 16, 16)
    ref = model.encode_decode(x, None)
    seen = []
    body[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    # the layout is the model's own setting
    model.channels_last = True
    line = make_fast(model, FastOptions(bf16=True))
    assert line == ('fast inference: 1 BN folded, bf16, channels-last')
    assert body[0].weight.is_contiguous(memory_format=torch.channels_last)
    seen.clear()
    out = model.encode_decode(x, None)
    assert seen == [torch.bfloat16] and out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.05)
    # applied twice: still one autocast around the original forward
    make_fast(model, FastOptions(fold_bn=False, bf16=False))
    seen.clear()
    torch.testing.assert_close(model.encode_decode(x, None), ref)
    assert seen == [torch.float32]


def test_auto_bf16_follows_the_measured_speed(monkeypatch, caplog):
    model = _Segmentor(nn.Conv2d(3, 2, 1)).eval()
    monkeypatch.setattr(fast, 'native_bf16', lambda device: True)
    monkeypatch.setattr(fast, 'bf16_matmul_speedup', lambda device: 0.5)
    assert fast.bf16_pays(torch.device('cpu')) == (
        False, 'this CPU has bf16 instructions but multiplies in bf16 at '
        '0.50x its fp32 rate')
    assert 'fp32' in make_fast(copy.deepcopy(model))
    monkeypatch.setattr(fast, 'bf16_matmul_speedup', lambda device: 1.9)
    assert 'bf16' in make_fast(copy.deepcopy(model))
    monkeypatch.setattr(fast, 'native_bf16', lambda device: False)
    assert fast.bf16_pays(
        torch.device('cpu')) == (False, 'this CPU has no native bf16')


def test_the_measured_speedup_is_a_positive_ratio():
    assert fast.bf16_matmul_speedup(torch.device('cpu')) > 0


def test_the_segmentor_is_found_inside_a_wrapper():
    inner = _Segmentor(nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2)))
    wrapper = nn.Module()
    wrapper.module = _randomise_bn(inner)
    assert make_fast(wrapper.eval(), FastOptions(bf16=False)).startswith(
        'fast inference: 1 BN folded, fp32, contiguous')
    assert fast.fast_applied(wrapper)['bf16'] is False


@pytest.mark.parametrize('model, match', [
    (nn.Conv2d(3, 2, 1), 'expected a segmentor with encode_decode'),
    (_Segmentor(nn.Conv2d(3, 2, 1)).train(), 'must be in eval mode'),
])
def test_models_it_cannot_take_are_refused(model, match):
    with pytest.raises(ConfigError, match=match):
        make_fast(model)


@pytest.mark.parametrize('value, match', [
    ('yes', 'expected True, False or a dict'),
    (dict(fold=True), r"unknown keys \['fold'\]"),
    (dict(bf16='sometimes'), 'fast_inference.bf16: expected'),
    (dict(fold_bn='no'), 'fast_inference.fold_bn: expected'),
    (dict(channels_last=True), r"unknown keys \['channels_last'\]"),
])
def test_bad_options_are_named(value, match):
    with pytest.raises(ConfigError, match=match):
        fast_options(value)


def test_options_from_the_switch_and_the_config():
    assert fast_options(False) is None and fast_options(None) is None
    assert fast_options(dict(bf16=False)) == FastOptions(
        fold_bn=True, bf16=False)
    cfg = Config(dict(custom_hooks=[dict(type='X')]))
    assert not add_fast_inference_hook(cfg)
    assert add_fast_inference_hook(cfg, switch=True)
    assert cfg.custom_hooks[-1] == dict(
        type='FastInferenceHook', fold_bn=True, bf16='auto')
    cfg = Config(dict(fast_inference=dict(fold_bn=False)))
    assert add_fast_inference_hook(cfg)
    assert cfg.custom_hooks[0]['fold_bn'] is False
    with pytest.raises(ConfigError, match='this is an mmdet config'):
        add_fast_inference_hook(Config(dict(default_scope='mmdet')), True)


def test_a_network_the_probe_cannot_run_is_left_unfolded():

    class Picky(_Segmentor):

        def encode_decode(self, x, metas):
            if x.shape[-1] != 20:
                raise ValueError('expected 20 px')
            return self.body(x)

    model = Picky(
        _randomise_bn(nn.Sequential(nn.Conv2d(3, 2, 1),
                                    nn.BatchNorm2d(2)))).eval()
    assert make_fast(
        model,
        FastOptions(bf16=False)).startswith('fast inference: 0 BN folded')
    assert isinstance(model.body[1], nn.BatchNorm2d)
