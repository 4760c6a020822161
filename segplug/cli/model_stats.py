"""Parameters and GFLOPs of configs' models, as markdown table rows.

    segplug model-stats configs/deeplabv3plus_voc.py [...] [--size 512]
"""
import argparse
import importlib

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from segplug.engine import config_scope
from segplug.recipes import resolve_config


class _WithImageMeta(nn.Module):
    """A detector's tensor forward with the image meta it needs (its RPN
    reads the image shape), behind a tensor-only signature the tracing
    counter accepts."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, inputs: torch.Tensor):
        from mmdet.structures import DetDataSample
        shape = tuple(inputs.shape[2:])
        sample = DetDataSample(
            metainfo=dict(
                img_shape=shape,
                pad_shape=shape,
                ori_shape=shape,
                scale_factor=(1., 1.)))
        return self.detector(inputs, [sample], mode='tensor')


def model_stats(path: str, size: int):
    """(parameters in millions, GFLOPs for one 3 x size x size image); a
    detector's FLOPs include its RoI heads on the test-time proposals."""
    cfg = Config.fromfile(resolve_config(path))
    scope = config_scope(cfg)
    init_default_scope(scope)
    models = importlib.import_module(f'{scope}.registry').MODELS
    model = models.build(cfg.model).eval()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    counted = _WithImageMeta(model) if scope == 'mmdet' else model
    with torch.no_grad():
        info = get_model_complexity_info(
            counted,
            inputs=(torch.zeros(1, 3, size, size), ),
            show_table=False,
            show_arch=False)
    return params, info['flops'] / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--size', type=int, default=512)
    args = parser.parse_args(argv)
    print(f'| config | params (M) | GFLOPs at {args.size}x{args.size} |')
    print('| --- | --- | --- |')
    for path in args.configs:
        params, gflops = model_stats(path, args.size)
        print(f'| `{path}` | {params:.1f} | {gflops:.1f} |')


if __name__ == '__main__':
    main()
