"""Speed of segplug's models exported to ONNX under onnxruntime, fp32 and
int8, against the same model in PyTorch (eager) and against mmseg's own
equivalent.

    python tools/benchmark_onnx.py [--models pspnet ...] [--size 512]
        [--threads 1 2] [--repeats 5] [--warmup 1] [--no-int8] [--profile]
        [--tiny]

The pairs are those of tools/benchmark_speed.py
(segplug.benchmarking.mmseg_pairs: DeepLab v3, v3+, PSPNet; BN for
SyncBN, 21 classes, mmseg's initialised weights copied into segplug's
model with the converter). segplug's model
is exported at 1 x 3 x size x size (static) and checked: onnxruntime's
logits within 1e-3 of PyTorch's, else the model is not timed. Then, for
each thread count (onnxruntime's intra_op_num_threads and
torch.set_num_threads alike), the four run in turn, interleaved
(onnxruntime fp32, onnxruntime int8, segplug eager, mmseg eager, ...), and
the tables give medians after warm-up of forward images/s: the whole-image
logits at the input's size, without the data preprocessor.

The int8 model is what ``segplug export --quantize int8`` writes
(segplug.deploy.quantize: QDQ, per-channel int8 weights, uint8
activations, the first convolution, the classifier and the resizes in
fp32), calibrated here on 4 seeded normal inputs: the weights are random,
so its labels say nothing of accuracy (the accuracy gate on trained models
is ``segplug check-deployed`` and docs/deploy_cpu.md). Its table gives
each path's GOP/s (the model's FLOPs, 2 per multiply-add, from mmengine's
counter) over this machine's peaks measured in the same run at the same
thread count: fp32 (torch's 2048^3 matrix product) and int8
(onnxruntime's 2048^3 uint8 x int8 MatMulInteger). ``--profile`` adds the
int8 model's kernel time by op type (onnxruntime's profiler) at the last
thread count.
"""
import argparse
import datetime
import os.path as osp
import tempfile

import numpy as np
import torch
from mmengine.registry import init_default_scope

from segplug.benchmarking import (PAIRS, build_pair, forward_flops,
                                  forward_step, int8_matmul_peak, interleaved,
                                  matmul_peak, ort_step, print_table,
                                  profile_by_op, quantize_for_benchmark,
                                  run_conditions)
from segplug.deploy import SegmentorGraph, export_onnx

MAX_DIFF = 1e-3
CPU = torch.device('cpu')


class _Forward(torch.nn.Module):
    """``encode_decode`` as a module mmengine's FLOP counter takes."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:])]
        return self.model.encode_decode(x, metas)


def benchmark_model(name, args, workdir):
    """(rows vs eager, rows vs mmseg, rates) for one model, or None when
    onnxruntime's fp32 output differs from PyTorch's."""
    ours, theirs = build_pair(name, args.tiny)
    path = osp.join(workdir, f'{name}.onnx')
    exporter = export_onnx(SegmentorGraph(ours), path, (args.size, ) * 2)
    x = torch.randn(1, 3, args.size, args.size)
    eager, mmseg = (forward_step(m, x) for m in (ours.eval(), theirs.eval()))
    fp32_logits = ort_step(path, x.numpy(), 1)()
    diff = float(np.abs(fp32_logits - eager().numpy()).max())
    equal = diff <= MAX_DIFF
    print(f'{name}: onnxruntime {"equals" if equal else "DIFFERS FROM"} '
          f'PyTorch ({exporter} exporter, max abs diff {diff:.1e}, limit '
          f'{MAX_DIFF:.0e})')
    if not equal:
        return None
    paths = {'onnxruntime fp32': path}
    if not args.no_int8:
        int8 = osp.join(workdir, f'{name}.int8.onnx')
        record = quantize_for_benchmark(path, int8, (args.size, ) * 2)
        agree = float(
            (ort_step(int8, x.numpy(),
                      1)().argmax(1) == fp32_logits.argmax(1)).mean())
        print(f'{name}: int8 model with {record["quantized_convs"]} '
              f'convolutions quantized, {len(record["kept_fp32"])} nodes in '
              f'fp32; labels as fp32 on {100 * agree:.1f}% of a random '
              'input (random weights: no accuracy figure)')
        paths['onnxruntime int8'] = int8
    gflop = forward_flops(_Forward(ours.eval()), x) / 1e9
    print(f'{name}: {gflop:.1f} GFLOP per forward')
    vs_eager, vs_mmseg, rates = [], [], []
    for threads in args.threads:
        torch.set_num_threads(threads)
        peaks = (matmul_peak(torch.float32, CPU), int8_matmul_peak(threads))
        print(f'{name}, {threads} thread(s): peaks {peaks[0]:.0f} GFLOP/s '
              f'fp32, {peaks[1]:.0f} GOP/s int8')
        steps = [ort_step(p, x.numpy(), threads) for p in paths.values()]
        times = interleaved(
            steps + [eager, mmseg],
            CPU,
            args.warmup,
            args.repeats,
            memory=False)
        seconds = [s for s, _ in times]
        eager_s, mmseg_s = seconds[-2:]
        metric = f'forward img/s, {threads} thread(s) (higher is better)'
        for (label, _), s in zip(paths.items(), seconds):
            vs_eager.append((f'{name} {label}', metric, 1 / s, 1 / eager_s))
            vs_mmseg.append((f'{name} {label}', metric, 1 / s, 1 / mmseg_s))
        for label, s in zip([*paths, 'mmseg eager fp32'],
                            seconds[:len(paths)] + [mmseg_s]):
            peak = peaks[1] if 'int8' in label else peaks[0]
            rates.append(
                (name, threads, label, 1 / s, mmseg_s / s, gflop / s,
                 gflop / s / peak, 'int8' if 'int8' in label else 'fp32'))
    if args.profile and 'onnxruntime int8' in paths:
        print(f'\n{name}, int8 model under onnxruntime, kernel time by op '
              f'type, {args.threads[-1]} thread(s):\n')
        print('| op | nodes | ms per run | share |')
        print('| --- | --- | --- | --- |')
        for op, nodes, ms, share in profile_by_op(paths['onnxruntime int8'],
                                                  x.numpy(), args.threads[-1]):
            print(f'| {op} | {nodes} | {ms:.1f} | {share:.3f} |')
    return vs_eager, vs_mmseg, rates


def print_rates(rows) -> None:
    print('\n| model | threads | path | img/s | x mmseg eager fp32 | '
          'GOP/s | of peak |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for name, threads, label, ips, ratio, rate, share, kind in rows:
        print(f'| {name} | {threads} | {label} | {ips:.3g} | {ratio:.2f} | '
              f'{rate:.1f} | {share:.2f} ({kind}) |')


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
        '--no-int8', action='store_true', help='leave out the int8 model')
    parser.add_argument(
        '--profile',
        action='store_true',
        help="the int8 model's kernel time by op type")
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
    vs_eager, vs_mmseg, rates, failed = [], [], [], []
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models:
            rows = benchmark_model(name, args, workdir)
            if rows is None:
                failed.append(name)
            else:
                vs_eager += rows[0]
                vs_mmseg += rows[1]
                rates += rows[2]
    torch.set_num_threads(max(args.threads))
    print(f'\nonnxruntime vs PyTorch, {datetime.date.today()}, '
          f'{run_conditions(CPU)}{", tiny models" * args.tiny}')
    print(f'forward 1x3x{args.size}x{args.size}; median of {args.repeats} '
          f'interleaved after {args.warmup} warm-up; the segplug column is '
          "segplug's model under onnxruntime")
    print_rates(rates)
    print_table('model', 'eager', vs_eager, [])
    print_table('model', 'mmseg', vs_mmseg, failed)


if __name__ == '__main__':
    main()
