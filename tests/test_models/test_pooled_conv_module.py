import pytest
import torch
from mmcv.cnn import ConvModule

from segplug.models.utils import PooledConvModule, sees_one_value


def test_one_value_per_channel_uses_the_running_statistics():
    torch.manual_seed(0)
    module = PooledConvModule(3, 2, 1, norm_cfg=dict(type='BN')).train()
    module.bn.running_mean.fill_(1.)
    module.bn.running_var.fill_(4.)
    x = torch.randn(1, 3, 1, 1)
    out = module(x)
    with torch.no_grad():
        conv = module.conv(x)
    expected = torch.relu((conv - 1.) / torch.sqrt(torch.tensor(4. + 1e-5)))
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(module.bn.running_var, torch.full((2, ), 4.))


def test_plain_batch_norm_refuses_what_it_accepts():
    """The case it exists for: ConvModule's BN fails on the same input."""
    x = torch.randn(1, 3, 1, 1)
    plain = ConvModule(3, 2, 1, norm_cfg=dict(type='BN')).train()
    assert sees_one_value(plain.bn, x)
    with pytest.raises(ValueError, match='more than 1 value per channel'):
        plain(x)
    assert not sees_one_value(plain.bn, torch.randn(2, 3, 1, 1))
    assert not sees_one_value(plain.bn.eval(), x)


def test_without_batch_norm_it_is_a_conv_module():
    module = PooledConvModule(
        3, 2, 1, norm_cfg=dict(type='GN', num_groups=1)).train()
    x = torch.randn(1, 3, 1, 1)
    plain = ConvModule(3, 2, 1, norm_cfg=dict(type='GN', num_groups=1))
    plain.load_state_dict(module.state_dict())
    torch.testing.assert_close(module(x), plain(x))


@pytest.mark.parametrize(
    'kwargs', [dict(kernel_size=3, padding=1),
               dict(kernel_size=1, stride=2)])
def test_other_convs_raise(kwargs):
    with pytest.raises(ValueError, match='expected a 1x1 conv of stride 1'):
        PooledConvModule(3, 2, **kwargs)
