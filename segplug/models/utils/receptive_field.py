"""The receptive field of a chain of convolutions and pools."""
from typing import Iterable, NamedTuple, Union

import torch.nn as nn

# Layers that move or resample the grid in ways a kernel walk cannot count.
_UNSUPPORTED = (nn.ConvTranspose2d, nn.Upsample, nn.AdaptiveAvgPool2d,
                nn.AdaptiveMaxPool2d)


class ReceptiveField(NamedTuple):
    """``size``: input pixels one output position depends on, along one
    axis; ``stride``: input pixels between neighbouring output positions."""
    size: int
    stride: int


def _along(value, axis: int) -> int:
    return value[axis] if isinstance(value, tuple) else value


def receptive_field(layers: Union[nn.Module, Iterable[nn.Module]],
                    size: int = 1,
                    stride: int = 1,
                    axis: int = 0) -> ReceptiveField:
    """The theoretical receptive field of ``layers`` run one after another.

    Walks every ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d`` inside
    ``layers`` in the order they were registered (``Module.modules()``):
    a kernel ``k`` of dilation ``d`` widens the field by ``(k - 1) * d``
    times the stride so far, then its stride ``s`` multiplies that stride.
    Other layers (activations, norms, dropout) do not change it. Only a
    chain is walked: a network with branches or skips needs its longest
    path passed in.

    Args:
        layers (nn.Module | Iterable[nn.Module]): The chain, input first,
            e.g. ``VGG16.chain('fc6')``.
        size (int): The field of one input position. Default 1 (pixels);
            e.g. 32 counts each input position as a 32-pixel block.
        stride (int): Input pixels between input positions. Default 1.
        axis (int): 0 for height, 1 for width. Default 0.

    Returns:
        ReceptiveField: ``(size, stride)`` of one output position.
    """
    if isinstance(layers, nn.Module):
        layers = [layers]
    for layer in layers:
        for module in layer.modules():
            if isinstance(module, _UNSUPPORTED):
                raise ValueError(
                    'receptive_field: expected convolutions, pools and '
                    f'layers that keep the grid, got {type(module).__name__}')
            if not isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
                continue
            dilation = _along(getattr(module, 'dilation', 1), axis)
            size += (_along(module.kernel_size, axis) - 1) * dilation * stride
            stride *= _along(module.stride, axis)
    return ReceptiveField(size, stride)
