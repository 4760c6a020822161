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
        neck = ASPP(in_channels=16, channels=16, dilations=(1, 2),
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
