"""receptive_field walks kernels, strides and dilations: checked on networks
whose receptive fields are published, and against the extent of an input
gradient on segplug's own VGG16."""
import pytest
import torch
import torch.nn as nn

from segplug.models.backbones import VGG16
from segplug.models.utils import ReceptiveField, receptive_field


def _alexnet_features():
    """torchvision's AlexNet ``features``: its pool5 sees 195 pixels."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2), nn.Conv2d(192, 384, 3,
                                             padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(3, stride=2))


def test_published_receptive_fields():
    # three stacked 3x3 convs see a 7x7 window (the VGG paper, sec. 2.3)
    stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
    assert receptive_field(stack) == ReceptiveField(7, 1)
    assert receptive_field(_alexnet_features()) == (195, 32)
    with torch.device('meta'):
        vgg = VGG16(output_stride=32)
    # VGG-16: conv5_3 196, pool5 212, at stride 16 and 32
    assert receptive_field(vgg.chain('pool4')).stride == 16
    assert receptive_field([vgg.chain('pool4'), vgg.stages[4]]) == (196, 16)
    assert receptive_field(vgg.chain('pool5')) == (212, 32)


def test_dilation_start_and_axis():
    conv = nn.Conv2d(1, 1, (3, 5), dilation=(2, 3), stride=(1, 2))
    assert receptive_field(conv) == (5, 1)
    assert receptive_field(conv, axis=1) == (13, 2)
    # counting each input position as a 32-pixel block 32 pixels apart
    assert receptive_field(conv, size=32, stride=32) == (160, 32)


@pytest.mark.parametrize('layer', [
    nn.Upsample(scale_factor=2),
    nn.AdaptiveAvgPool2d(1),
    nn.ConvTranspose2d(1, 1, 2)
])
def test_layers_that_resample_the_grid_are_refused(layer):
    with pytest.raises(ValueError, match='expected convolutions.*got '):
        receptive_field([nn.Conv2d(1, 1, 3), layer])


def _gradient_extent(model: VGG16, height: int) -> int:
    """Rows of the image the centre of fc6's output depends on: the extent
    of the input gradient, with positive weights and average pools (a max
    pool's gradient reaches one input only) of the max pools' geometry."""
    for i, pool in enumerate(model.pools):
        model.pools[i] = nn.AvgPool2d(
            pool.kernel_size,
            pool.stride,
            pool.padding,
            ceil_mode=pool.ceil_mode)
    for p in model.parameters():
        nn.init.constant_(p, 0.1)
    # wide enough that the taps of an even kernel, all off the centre
    # column, fall on the image
    x = torch.ones(1, 3, height, height, requires_grad=True)
    out = model.chain('fc6').eval()(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = x.grad[0].abs().sum(dim=(0, 2)).nonzero().flatten()
    return int(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize('output_stride, kernel, dilation', [
    (8, 7, 4),
    (8, 4, 4),
    (8, 4, 8),
    (8, 3, 12),
    (32, 7, 1),
    (32, 3, 3),
])
def test_walk_equals_the_gradient_extent_on_vgg16(output_stride, kernel,
                                                  dilation):
    torch.manual_seed(0)
    model = VGG16(
        channels=(1, 1, 1, 1, 1),
        output_stride=output_stride,
        fc6_kernel=kernel,
        fc6_dilation=dilation,
        fc_channels=1,
        dropout=0)
    walked = receptive_field(model.chain('fc6'))
    # an image taller than the field, so no tap of the centre falls off it
    assert walked.size == _gradient_extent(model, walked.size + 160)
