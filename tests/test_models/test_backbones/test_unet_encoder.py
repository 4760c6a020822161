import pytest
import torch
import torch.nn as nn

from segplug.models.backbones.unet_encoder import UNetEncoder
from segplug.models.utils.unet_sizes import unet_encoder_sizes


def _shapes(outs):
    return [tuple(o.shape) for o in outs]


@pytest.mark.parametrize('size', [(45, 45), (23, 31), (1, 1)])
def test_same_padding_keeps_odd_sizes(size):
    enc = UNetEncoder(base_channels=4, num_levels=3, padding='same')
    outs = enc(torch.randn(2, 3, *size))
    h, w = size
    assert _shapes(outs) == [(2, 4, h, w), (2, 8, -(-h // 2), -(-w // 2)),
                             (2, 16, -(-h // 4), -(-w // 4))]


def test_valid_padding_paper_sizes():
    # The paper's 572 input with 3 levels: 568 -> 280 -> 136.
    enc = UNetEncoder(base_channels=4, num_levels=3)
    outs = enc(torch.randn(1, 3, 572, 572))
    assert _shapes(outs) == [(1, 4, 568, 568), (1, 8, 280, 280),
                             (1, 16, 136, 136)]
    assert [o.shape[-1] for o in outs] == unet_encoder_sizes(572, 3)


def test_valid_padding_non_square():
    enc = UNetEncoder(in_channels=1, base_channels=2, num_levels=3)
    outs = enc(torch.randn(1, 1, 60, 92))
    assert _shapes(outs)[-1] == (1, 8, 8, 16)


@pytest.mark.parametrize('size, nearest', [(570, '556 or 572'), (90, '188')])
def test_valid_padding_bad_size_names_nearest_valid(size, nearest):
    enc = UNetEncoder(base_channels=2, num_levels=5)
    with pytest.raises(ValueError, match=f'got {size} .*{nearest}'):
        enc(torch.randn(1, 3, 572, size))


def test_layers_follow_the_paper():
    enc = UNetEncoder(base_channels=4, num_levels=3)
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 6
    assert all(c.kernel_size == (3, 3) and c.padding == (0, 0) for c in convs)
    assert [c.out_channels for c in convs] == [4, 4, 8, 8, 16, 16]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in enc.modules())
    assert sum(isinstance(m, nn.ReLU) for m in enc.modules()) == 6


def test_norm_cfg_and_out_indices():
    enc = UNetEncoder(
        base_channels=4,
        num_levels=4,
        padding='same',
        norm_cfg=dict(type='BN'),
        out_indices=(1, 3))
    assert sum(isinstance(m, nn.BatchNorm2d) for m in enc.modules()) == 8
    outs = enc(torch.randn(2, 3, 16, 16))
    assert _shapes(outs) == [(2, 8, 8, 8), (2, 32, 2, 2)]


def test_output_is_before_pooling():
    """Level 1 sees the max-pool of level 0's output."""
    enc = UNetEncoder(
        in_channels=1,
        base_channels=1,
        num_levels=2,
        padding='same',
        act_cfg=None)
    with torch.no_grad():
        for m in enc.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.zero_()
                m.weight[:, 0, 1, 1] = 1
                m.bias.zero_()
        x = torch.arange(16.).reshape(1, 1, 4, 4)
        low, high = enc(x)
    assert torch.equal(low, x)
    assert torch.equal(high, nn.functional.max_pool2d(x, 2).expand_as(high))


def test_wrong_input_raises():
    enc = UNetEncoder(base_channels=2, num_levels=2, padding='same')
    with pytest.raises(ValueError, match=r'expected \(N, 3, H, W\)'):
        enc(torch.randn(1, 1, 8, 8))


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=0), ValueError),
    (dict(base_channels=2.5), TypeError),
    (dict(num_levels=0), ValueError),
    (dict(padding='full'), ValueError),
    (dict(out_indices=(0, 3)), ValueError),
    (dict(out_indices=()), ValueError),
    (dict(out_indices=1), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(base_channels=4, num_levels=3)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        UNetEncoder(**args)
