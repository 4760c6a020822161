"""Speed of segplug's models exported to ONNX under onnxruntime, against
the same model in PyTorch (eager) and against mmseg's own equivalent.

    python tools/benchmark_onnx.py [--models pspnet ...] [--size 512]
        [--threads 1 2] [--repeats 5] [--warmup 1] [--tiny]

The pairs are those of tools/benchmark_speed.py
(segplug.benchmarking.mmseg_pairs: DeepLab v3, v3+, PSPNet; BN for
SyncBN, 21 classes, mmseg's initialised weights copied into segplug's
model with the converter). segplug's model
is exported at 1 x 3 x size x size (static) and checked: onnxruntime's
logits within 1e-3 of PyTorch's, else the model is not timed. Then, for
each thread count (onnxruntime's intra_op_num_threads and
torch.set_num_threads alike), the three run in turn, interleaved
(onnxruntime, segplug eager, mmseg eager, ...), and the tables give
medians after warm-up of forward images/s: the whole-image logits at the
input's size, without the data preprocessor.
"""
import argparse
import datetime
import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.registry import init_default_scope

from segplug.benchmarking import (PAIRS, build_pair, forward_step, interleaved,
                                  print_table, run_conditions)
from segplug.deploy import SegmentorGraph, export_onnx

MAX_DIFF = 1e-3
CPU = torch.device('cpu')


def ort_step(path: str, x: np.ndarray, threads: int):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        path, options, providers=['CPUExecutionProvider'])
    return lambda: session.run(None, {'input': x})[0]


def benchmark_model(name, args, workdir):
    """Rows (vs eager, vs mmseg) for one model, or None when onnxruntime's
    output differs from PyTorch's."""
    ours, theirs = build_pair(name, args.tiny)
    path = osp.join(workdir, f'{name}.onnx')
    exporter = export_onnx(SegmentorGraph(ours), path, (args.size, ) * 2)
    x = torch.randn(1, 3, args.size, args.size)
    eager, mmseg = (forward_step(m, x) for m in (ours.eval(), theirs.eval()))
    onnx_logits = ort_step(path, x.numpy(), 1)()
    diff = float(np.abs(onnx_logits - eager().numpy()).max())
    equal = diff <= MAX_DIFF
    print(f'{name}: onnxruntime {"equals" if equal else "DIFFERS FROM"} '
          f'PyTorch ({exporter} exporter, max abs diff {diff:.1e}, limit '
          f'{MAX_DIFF:.0e})')
    if not equal:
        return None
    vs_eager, vs_mmseg = [], []
    for threads in args.threads:
        torch.set_num_threads(threads)
        steps = [ort_step(path, x.numpy(), threads), eager, mmseg]
        times = interleaved(
            steps, CPU, args.warmup, args.repeats, memory=False)
        ort_s, eager_s, mmseg_s = (1 / s for s, _ in times)
        metric = f'forward img/s, {threads} thread(s) (higher is better)'
        vs_eager.append((name, metric, ort_s, eager_s))
        vs_mmseg.append((name, metric, ort_s, mmseg_s))
    return vs_eager, vs_mmseg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--models', nargs='+', choices=list(PAIRS), default=list(PAIRS))
    parser.add_argument(
        '--size', type=int, help='input height and width (default 512)')
    parser.add_argument(
        '--threads',
        nargs='+',
        type=int,
        default=[1, 2],
        help='thread counts, each for both runtimes (default 1 2)')
    parser.add_argument(
        '--repeats', type=int, help='timed calls per model (default 5)')
    parser.add_argument(
        '--warmup', type=int, help='untimed calls first (default 1)')
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='ResNet-18, 1/16 widths, 64x64, 2 repeats: for testing this '
        'tool')
    args = parser.parse_args(argv)
    defaults = dict(
        size=64, repeats=2, warmup=1) if args.tiny else dict(
            size=512, repeats=5, warmup=1)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ('size', 'repeats'):
        if getattr(args, key) < 1:
            parser.error(f'--{key}: expected a positive int, got '
                         f'{getattr(args, key)}')
    if args.warmup < 0:
        parser.error(f'--warmup: expected >= 0, got {args.warmup}')
    if min(args.threads) < 1:
        parser.error(f'--threads: expected positive ints, got {args.threads}')
    return args


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmseg')
    vs_eager, vs_mmseg, failed = [], [], []
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models:
            rows = benchmark_model(name, args, workdir)
            if rows is None:
                failed.append(name)
            else:
                vs_eager += rows[0]
                vs_mmseg += rows[1]
    torch.set_num_threads(max(args.threads))
    print(f'\nonnxruntime vs PyTorch, {datetime.date.today()}, '
          f'{run_conditions(CPU)}{", tiny models" * args.tiny}')
    print(f'forward 1x3x{args.size}x{args.size}; median of {args.repeats} '
          f'interleaved after {args.warmup} warm-up; the segplug column is '
          "segplug's model under onnxruntime")
    print_table('model', 'eager', vs_eager, [])
    print_table('model', 'mmseg', vs_mmseg, failed)


if __name__ == '__main__':
    main()
