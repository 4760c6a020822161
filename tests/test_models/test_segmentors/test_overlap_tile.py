import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from segplug.models.segmentors import overlap_tile_inference


def _full_res_net(seed=0):
    """Two 3x3 convs: receptive field radius 2, output at input size."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(),
        nn.Conv2d(6, 4, 3, padding=1)).eval()


def _strided_net(seed=0):
    """Stride-2 conv then a 3x3 conv: logits at half resolution."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 2, stride=2), nn.ReLU(), nn.Conv2d(6, 4, 3,
                                                           padding=1)).eval()


@torch.no_grad()
@pytest.mark.parametrize('size', [(45, 45), (37, 52)])
def test_equals_whole_image_inside_the_receptive_field(size):
    net = _full_res_net()
    x = torch.randn(2, 3, *size)
    whole = net(x)
    tiled = overlap_tile_inference(
        net, x, tile_size=(16, 12), margin=4, num_classes=4)
    assert tiled.shape == whole.shape
    # away from the image border (where whole-image convs see zero padding
    # and tiles see mirrored context) the two agree: no seams at tile edges
    inner = (..., slice(2, -2), slice(2, -2))
    torch.testing.assert_close(tiled[inner], whole[inner])


@torch.no_grad()
def test_too_small_margin_shows_seams():
    net = _full_res_net()
    x = torch.randn(1, 3, 48, 48)
    whole, tiled = net(x), overlap_tile_inference(net, x, 16, 0, 4)
    diff = (tiled - whole).abs().amax(dim=(0, 1))
    assert diff[16, 20:28].min() > 0  # a row at a tile edge differs
    assert diff[20:28, 20:28].max() < 1e-5  # a tile's centre does not


@torch.no_grad()
def test_strided_network_resized_to_crop():
    net = _strided_net()
    x = torch.randn(1, 3, 40, 40)
    whole = F.interpolate(net(x), size=(40, 40), mode='bilinear')
    tiled = overlap_tile_inference(
        net, x, tile_size=8, margin=8, num_classes=4)
    inner = (..., slice(6, -6), slice(6, -6))
    torch.testing.assert_close(tiled[inner], whole[inner])


@torch.no_grad()
def test_valid_network_output_is_the_tile():
    """A 'valid' network loses ``margin`` on each side: its output is the
    tile itself and is used as is."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3)).eval()
    x = torch.randn(1, 3, 30, 30)
    tiled = overlap_tile_inference(
        net, x, tile_size=10, margin=2, num_classes=4)
    whole = net(F.pad(x, (2, 2, 2, 2), mode='reflect'))
    torch.testing.assert_close(tiled, whole)


@pytest.mark.parametrize('tile, margin', [(0, 2), ((8, ), 2), (8, -1),
                                          (8.5, 2)])
def test_bad_tile_arguments(tile, margin):
    with pytest.raises(ValueError, match='expected'):
        overlap_tile_inference(_full_res_net(), torch.randn(1, 3, 20, 20),
                               tile, margin, 4)


def test_margin_larger_than_image_is_an_error():
    with pytest.raises(ValueError, match='smaller than the image'):
        overlap_tile_inference(_full_res_net(), torch.randn(1, 3, 10, 10), 8,
                               12, 4)
