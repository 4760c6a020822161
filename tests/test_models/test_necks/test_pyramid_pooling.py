import pytest
import torch

from segplug.models.necks import PyramidPooling


@pytest.mark.parametrize('size', [(45, 45), (23, 31), (2, 3)])
def test_output_concatenates_input_and_bins(size):
    neck = PyramidPooling(in_channels=16, channels=4)
    low = torch.randn(2, 8, 9, 9)
    x = torch.randn(2, 16, *size)
    out = neck((low, x))
    assert len(out) == 2 and out[0] is low
    assert out[1].shape == (2, 16 + 4 * 4, *size)
    assert neck.out_channels == 32
    torch.testing.assert_close(out[1][:, :16], x)


def test_default_channels_are_the_papers_one_over_n():
    neck = PyramidPooling(in_channels=2048)
    assert neck.channels == 512 and neck.out_channels == 4096
    assert [s[0].output_size for s in neck.stages] == [1, 2, 3, 6]


def test_each_bin_pools_to_its_grid():
    """The bin-b branch is constant on each cell of a b x b grid (away from
    the bilinear seams), and the 1x1 branch is constant everywhere."""
    torch.manual_seed(0)
    neck = PyramidPooling(
        in_channels=4, channels=4, bins=(1, 2), norm_cfg=None).eval()
    x = torch.randn(1, 4, 24, 24)
    with torch.no_grad():
        out = neck((x, ))[0]
    one, two = out[:, 4:8], out[:, 8:12]
    assert torch.allclose(one, one[..., :1, :1].expand_as(one))
    quadrant = two[..., :4, :4]
    assert torch.allclose(quadrant, quadrant[..., :1, :1].expand_as(quadrant))
    assert not torch.allclose(two[..., 0, 0], two[..., -1, -1])


def test_in_index_processes_that_level_only():
    a, b = torch.randn(2, 8, 5, 5), torch.randn(2, 16, 3, 3)
    out = PyramidPooling(in_channels=8, channels=2, in_index=0)((a, b))
    assert out[0].shape == (2, 16, 5, 5) and out[1] is b


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=0), ValueError),
    (dict(in_channels=1.5), TypeError),
    (dict(channels=0), ValueError),
    (dict(bins=()), ValueError),
    (dict(bins=3), ValueError),
    (dict(bins=(1, 0)), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(in_channels=16)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        PyramidPooling(**args)


def test_wrong_input_channels_raise():
    with pytest.raises(ValueError, match='expected 16 channels, got 8'):
        PyramidPooling(in_channels=16)((torch.randn(1, 8, 4, 4), ))


def test_batch_of_one_trains_on_the_running_statistics():
    """Bin 1 of one image is one value per channel: its BN uses the running
    statistics and keeps them; the larger bins' BNs learn as usual."""
    torch.manual_seed(0)
    neck = PyramidPooling(in_channels=8, channels=2, bins=(1, 2)).train()
    one_bn, two_bn = neck.stages[0][1].bn, neck.stages[1][1].bn
    out = neck((torch.randn(1, 8, 9, 11), ))[0]
    assert out.shape == (1, 12, 9, 11) and torch.isfinite(out).all()
    out.square().mean().backward()
    assert neck.stages[0][1].conv.weight.grad.abs().sum() > 0
    torch.testing.assert_close(one_bn.running_var, torch.ones(2))
    assert int(one_bn.num_batches_tracked) == 0
    assert int(two_bn.num_batches_tracked) == 1


def test_batch_of_two_is_plain_batch_norm():
    from mmcv.cnn import ConvModule
    torch.manual_seed(0)
    neck = PyramidPooling(in_channels=8, channels=2, bins=(1, 2)).train()
    plain = PyramidPooling(in_channels=8, channels=2, bins=(1, 2)).train()
    for stage in plain.stages:
        stage[1] = ConvModule(8, 2, 1, norm_cfg=dict(type='BN'))
    plain.load_state_dict(neck.state_dict())
    x = torch.randn(2, 8, 9, 11)
    torch.testing.assert_close(neck((x, ))[0], plain((x, ))[0])
    torch.testing.assert_close(neck.stages[0][1].bn.running_mean,
                               plain.stages[0][1].bn.running_mean)
    assert int(neck.stages[0][1].bn.num_batches_tracked) == 1
