"""Speed and peak memory of segplug's DeepLab v3, v3+ and PSPNet against
mmseg's own models, at equal outputs.

    python tools/benchmark_speed.py [--models pspnet ...] [--size 512]
        [--batch 2] [--repeats 5] [--warmup 1] [--threads N] [--device cpu]

Each pair is built from segplug's and mmseg's configs (BN for SyncBN, no
pretrained weights, 21 classes). mmseg's initialised weights are copied into
segplug's model with the converter and the eval outputs compared; a pair
whose outputs differ by more than 1e-4 is not timed. The two models are then
run in one process, interleaved (segplug, mmseg, segplug, ...), and the
table gives medians after warm-up:
- forward: images/s of ``encode_decode`` on 1 x 3 x size x size, eval mode,
  no grad;
- train: iterations/s of ``loss`` + SGD step (``OptimWrapper.update_params``,
  what ``train_step`` does after the data preprocessor) at ``--batch``, with
  random labels. Both models get tensors directly: the data preprocessor is
  the same on both sides and left out;
- peak memory of each call above what it started with. CUDA:
  ``torch.cuda.max_memory_allocated``. CPU: the process's peak resident set
  (VmHWM of /proc/self/status, reset by writing 5 to /proc/self/clear_refs,
  Linux >= 4.0; freed heap is first returned with malloc_trim) minus the
  resident set at the start; 'n/a' where clear_refs is not writable.

On a machine other jobs keep busy, use ``--threads`` below the free cores:
torch threads waiting on a descheduled sibling slow every op many times.
"""
import argparse
import datetime

import torch
from mmengine.registry import init_default_scope

from segplug.utils import interleaved, print_table, run_conditions
from segplug.utils.mmseg_pairs import (NUM_CLASSES, PAIRS, build_pair,
                                       forward_step, train_step)

MAX_DIFF = 1e-4


def benchmark_pair(name, args, device):
    """Table rows for one model, or None when the outputs differ."""
    ours, theirs = build_pair(name, args.tiny)
    models = [m.to(device).eval() for m in (ours, theirs)]
    x = torch.randn(1, 3, args.size, args.size, device=device)
    ref, out = (forward_step(m, x)() for m in (theirs, ours))
    diff = (out - ref).abs().max().item()
    equal = diff <= MAX_DIFF
    print(f'{name}: outputs {"equal" if equal else "DIFFER"} after '
          f'conversion (max abs diff {diff:.1e}, limit {MAX_DIFF:.0e})')
    if not equal:
        return None
    forward = interleaved([forward_step(m, x) for m in models], device,
                          args.warmup, args.repeats)
    xb = torch.randn(args.batch, 3, args.size, args.size, device=device)
    labels = torch.randint(
        0, NUM_CLASSES, (args.batch, args.size, args.size), device=device)
    for model in models:
        model.train()
    train = interleaved([train_step(m, xb, labels) for m in models], device,
                        args.warmup, args.repeats)
    return [
        (name, 'forward img/s (higher is better)', *(1 / s
                                                     for s, _ in forward)),
        (name, f'train it/s at batch {args.batch} (higher is better)',
         *(1 / s for s, _ in train)),
        (name, 'forward peak MiB (lower is better)', *(m for _, m in forward)),
        (name, 'train peak MiB (lower is better)', *(m for _, m in train)),
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--models', nargs='+', choices=list(PAIRS), default=list(PAIRS))
    parser.add_argument(
        '--size',
        type=int,
        default=512,
        help='input height and width (default 512)')
    parser.add_argument(
        '--batch', type=int, default=2, help='training batch size (default 2)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed calls per model and metric (default 5)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed calls first (default 1)')
    parser.add_argument(
        '--threads',
        type=int,
        default=torch.get_num_threads(),
        help="torch threads (default torch's current)")
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='ResNet-18, 1/16 widths: for testing this tool')
    args = parser.parse_args(argv)
    for key in ('size', 'batch', 'repeats', 'threads'):
        if getattr(args, key) < 1:
            parser.error(f'--{key}: expected a positive int, got '
                         f'{getattr(args, key)}')
    if args.warmup < 0:
        parser.error(f'--warmup: expected >= 0, got {args.warmup}')
    if args.batch < 2:
        # The image-pool and 1x1-bin branches hold one value per channel
        # and image, which BN cannot normalise in training mode.
        parser.error(f'--batch: expected >= 2 (BN after global pooling), '
                     f'got {args.batch}')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    init_default_scope('mmseg')
    rows, failed = [], []
    for name in args.models:
        pair_rows = benchmark_pair(name, args, device)
        if pair_rows is None:
            failed.append(name)
        else:
            rows += pair_rows
    print(f'\nsegplug vs mmseg, {datetime.date.today()}, '
          f'{run_conditions(device)}{", tiny models" * args.tiny}')
    print(f'forward 1x3x{args.size}x{args.size}, train batch {args.batch}; '
          f'median of {args.repeats} interleaved after {args.warmup} warm-up')
    print_table('model', 'mmseg', rows, failed)


if __name__ == '__main__':
    main()
