"""Every registered segplug model part builds from a small config and runs.

A part that is registered but missing from TABLE fails this test.
"""
import pytest
import torch
from mmseg.registry import MODELS

import segplug.models


def _levels(*shapes):
    return tuple(torch.randn(2, c, h, w) for c, h, w in shapes)


# name -> (config, inputs, expected output shape of the processed level)
TABLE = {
    'ASPP': (dict(in_channels=8, channels=4, dilations=(1, 2)),
             _levels((8, 9, 9)), (2, 4, 9, 9)),
    'DeepLabV3PlusHead': (dict(in_channels=(4, 8), channels=6,
                               num_classes=3),
                          _levels((4, 17, 17), (8, 5, 5)), (2, 3, 17, 17)),
}


def _registered():
    names = set()
    for sub in (segplug.models.necks, segplug.models.decode_heads):
        for name in sub.__all__:
            if MODELS.get(name) is getattr(sub, name):
                names.add(name)
    return names


def test_every_registered_part_is_in_the_table():
    assert _registered() == set(TABLE)


@pytest.mark.parametrize('name', sorted(TABLE))
def test_part_builds_and_runs(name):
    cfg, inputs, shape = TABLE[name]
    part = MODELS.build(dict(type=name, **cfg))
    assert type(part).__name__ == name
    out = part(inputs)
    out = out[-1] if isinstance(out, tuple) else out
    assert out.shape == shape
    out.float().mean().backward()
    assert all(p.grad is not None for p in part.parameters()
               if p.requires_grad)
