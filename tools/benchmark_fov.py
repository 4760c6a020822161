"""The speed side of DeepLab v1's field-of-view study (the paper's Table 2).

    python tools/benchmark_fov.py [--models voc|shapes] [--size 321]
        [--batch 1] [--repeats 5] [--warmup 1] [--threads N]
        [--device cpu|cuda]

DeepLab-CRF-7x7, DeepLab-CRF, DeepLab-CRF-4x4 and DeepLab-CRF-LargeFOV
(the VOC configs of configs/deeplabv1, or with ``--models shapes`` their
tiny shapes versions) are built in one process, without pretrained weights
and without the CRF, which is a test-time step the paper's training speeds
leave out. On --batch copies of the sample photograph at size x size, with
random labels, the four forward passes (no grad) are timed interleaved (A,
B, C, D, A, ...), then the four training steps (loss, backward, SGD
update); medians after warm-up. Each model's speed is DeepLab-CRF-7x7's
time over its own (2.0: twice as fast), beside the same ratio of FLOPs and
the paper's training speeds (img/s, and as ratios 1 : 2.0 : 2.0 : 3.36).
"""
import argparse
import datetime
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from segplug.benchmarking import (forward_flops, forward_step, interleaved,
                                  run_conditions, sample_photo, train_step)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# (the paper's name, the config's stem, the paper's training img/s)
STUDY = (
    ('DeepLab-CRF-7x7', 'deeplabv1-fc6-7x7-r4', 1.44),
    ('DeepLab-CRF', 'deeplabv1-fc6-4x4-r4', 2.90),
    ('DeepLab-CRF-4x4', 'deeplabv1-fc6-4x4-r8', 2.90),
    ('DeepLab-CRF-LargeFOV', 'deeplabv1-largefov', 4.84),
)
SUFFIX = {
    'voc': '_vgg16_4xb4-20k_voc12aug-512x512.py',
    'shapes': '_vgg16-tiny_1xb8-2.5k_shapes-128x128.py',
}


def config_path(stem: str, models: str) -> str:
    return osp.join(REPO, 'configs', 'deeplabv1', stem + SUFFIX[models])


def build(stem: str, models: str) -> torch.nn.Module:
    cfg = Config.fromfile(config_path(stem, models)).model
    cfg.backbone.init_cfg = None  # no pretrained weights to read
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _input(model, args, device):
    """The sample photograph, normalised as the model's data preprocessor
    does, ``--batch`` times, and random labels."""
    rgb = torch.from_numpy(sample_photo(
        (args.size, args.size))).permute(2, 0, 1)
    pre = model.data_preprocessor
    x = ((rgb.float() - pre.mean) / pre.std)[None]
    x = x.expand(args.batch, -1, -1, -1).contiguous().to(device)
    classes = model.decode_head.num_classes
    labels = torch.randint(
        0, classes, (args.batch, args.size, args.size), device=device)
    return x, labels


def _fc6(model) -> str:
    conv = model.backbone.fc6.conv
    return (f'{conv.kernel_size[0]}x{conv.kernel_size[1]} rate '
            f'{conv.dilation[0]}, {conv.out_channels} ch')


def measure_study(args, device):
    """One row per model of :data:`STUDY`: (name, fc6, params, FLOPs,
    forward s, training step s, the paper's img/s)."""
    models = [build(stem, args.models).to(device) for _, stem, _ in STUDY]
    x, labels = _input(models[0], args, device)
    for model in models:
        model.eval()
    flops = [forward_flops(m, x[:1]) for m in models]
    forward = interleaved([forward_step(m, x) for m in models], device,
                          args.warmup, args.repeats)
    for model in models:
        model.train()
    train = interleaved([train_step(m, x, labels) for m in models], device,
                        args.warmup, args.repeats)
    return [(name, _fc6(m), sum(p.numel()
                                for p in m.parameters()), f, fs, ts, paper)
            for (name, _, paper), m, f, (fs, _), (
                ts, _) in zip(STUDY, models, flops, forward, train)]


def print_study(rows) -> None:
    _, _, _, flops0, fwd0, train0, paper0 = rows[0]
    print('\n| model | fc6 | params (M) | GFLOPs | forward s | train step s '
          '| FLOPs 7x7/model | forward speed | training speed | paper '
          'img/s | paper training speed |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- '
          '| --- |')
    for name, fc6, params, flops, fwd, train, paper in rows:
        print(f'| {name} | {fc6} | {params / 1e6:.1f} | {flops / 1e9:.3g} '
              f'| {fwd:.3g} | {train:.3g} | {flops0 / flops:.2f} '
              f'| {fwd0 / fwd:.2f} | {train0 / train:.2f} | {paper} '
              f'| {paper / paper0:.2f} |')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--models', choices=sorted(SUFFIX), default='voc')
    parser.add_argument('--size', type=int, default=321)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    for key in ('batch', 'repeats', 'threads'):
        if getattr(args, key) < 1:
            parser.error(f'--{key}: expected a positive int, got '
                         f'{getattr(args, key)}')
    if args.size < 16:
        parser.error(f'--size: expected >= 16, got {args.size}')
    if args.warmup < 0:
        parser.error(f'--warmup: expected >= 0, got {args.warmup}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    init_default_scope('mmseg')
    rows = measure_study(args, device)
    print(f'\nDeepLab v1 field of view, {datetime.date.today()}, '
          f'{run_conditions(device)}')
    print(f'{args.models} configs, {args.size}x{args.size}, batch '
          f'{args.batch}, median of {args.repeats} interleaved after '
          f'{args.warmup} warm-up; speeds are DeepLab-CRF-7x7\'s time '
          'over the model\'s (the paper\'s: its img/s over 1.44)')
    print_study(rows)


if __name__ == '__main__':
    main()
