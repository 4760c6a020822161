"""Speed of segplug's models on each inference and training path against
mmseg's own model in eager fp32, at equal outputs, with the rate each path
reaches against the machine's own matrix-multiply peak.

    python tools/benchmark_speed.py [--models deeplabv3plus ...] [--size 512]
        [--batch 2] [--threads 1 2] [--repeats 5] [--warmup 1]
        [--no-onnx] [--no-train] [--compile] [--profile] [--device cpu]

Models: DeepLab v3, v3+ and PSPNet (ResNet-50-V1c, output stride 8, 21
classes, BN for SyncBN, no pretrained weights) built from segplug's and
mmseg's configs; mmseg's initialised weights are copied into segplug's with
the converter and the eval outputs compared, and a pair whose outputs
differ by more than 1e-4 is not timed. ``shapes`` is the demo's DeepLab v3+
(configs/deeplabv3plus_shapes.py) alone, against itself in fp32 (use
``--size 128 --batch 8``, its crop and batch).

For each thread count the paths run in one process, interleaved (one call
of each in turn), and the tables give medians after warm-up:
- forward (``encode_decode`` on 1 x 3 x size x size, eval, no grad): mmseg
  fp32; segplug fp32; ``fast`` (``--fast``'s defaults:
  segplug.engine.inference.fast_path, which picks bf16 only where this device
  multiplies faster in it); BN folded + bf16 and BN folded + bf16 +
  channels-last (bf16 forced, to show what it costs or gains here);
  onnxruntime on segplug's exported model (static size), fp32 and int8
  (``segplug export --quantize int8``'s quantization, calibrated on 4
  seeded normal inputs: random weights, no accuracy figure); with
  ``--compile``, the fp32 fast path under torch.compile (inductor with
  freezing; the compile time is printed);
- training step (``loss``, backward, SGD step at ``--batch``, random labels;
  the data preprocessor, the same on all paths, left out): mmseg fp32,
  segplug fp32, segplug under what ``tools/train.py --amp`` uses on the
  device (bf16 autocast on a CPU, fp16 with a dynamic loss scale on CUDA).
Each figure comes with its GFLOP/s (the model's FLOPs, 2 per multiply-add,
from mmengine's counter as tools/model_stats.py uses it; a training step
counts the forward with the auxiliary head times 3 for the backward, the
usual estimate) and that over the fp32 and the bf16 matrix-multiply peak
(the best of 3 products of 2048^2 matrices, measured in this run at the
same thread count) and, for the int8 path, over the int8 peak
(onnxruntime's uint8 x int8 MatMulInteger of 2048^2 matrices). Forward
paths also give their label agreement with mmseg's fp32 labels and the
largest logit difference, on the random input and weights; the accuracy
gates on a trained model are tests (tests/test_learning/test_learning.py:
the fast path's and the int8 model's). Peak memory: the call's
peak above its start (see segplug.benchmarking.benchmark.PeakMemory).

``--profile`` adds, per model, the fast path's forward time by op type
(torch.profiler, one call at the last thread count).

On a machine other jobs keep busy, use ``--threads`` below the free cores:
torch threads waiting on a descheduled sibling slow every op many times.
"""
import argparse
import copy
import datetime
import os.path as osp
import tempfile

import torch
from mmengine.registry import init_default_scope

from segplug.benchmarking import (NUM_CLASSES, PAIRS, amp_name, build_pair,
                                  build_shapes_model, forward_flops,
                                  forward_step, int8_matmul_peak, interleaved,
                                  matmul_peak, quantize_for_benchmark,
                                  run_conditions, train_step)
from segplug.engine import FastOptions, make_fast

MAX_DIFF = 1e-4
SHAPES = 'shapes'


class _Forward(torch.nn.Module):
    """A model's whole-image forward as a module the FLOP counter takes."""

    def __init__(self, model, training: bool):
        super().__init__()
        self.model, self.training_heads = model, training

    def forward(self, x):
        model = self.model
        if not self.training_heads:
            metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:])]
            return model.encode_decode(x, metas)
        feats = model.extract_feat(x)
        outs = [model.decode_head.forward(feats)]
        if getattr(model, 'with_auxiliary_head', False):
            outs.append(model.auxiliary_head.forward(feats))
        return outs


def build_models(name, args):
    """(segplug's model, the reference: mmseg's or None for ``shapes``,
    the number of classes), or None when the pair's outputs differ."""
    if name == SHAPES:
        model = build_shapes_model()
        return model, None, model.decode_head.num_classes
    ours, theirs = build_pair(name, args.tiny)
    x = torch.randn(1, 3, args.size, args.size)
    ref, out = (forward_step(m.eval(), x)() for m in (theirs, ours))
    diff = (out - ref).abs().max().item()
    equal = diff <= MAX_DIFF
    print(f'{name}: outputs {"equal" if equal else "DIFFER"} after '
          f'conversion (max abs diff {diff:.1e}, limit {MAX_DIFF:.0e})')
    return (ours, theirs, NUM_CLASSES) if equal else None


def forward_paths(ours, theirs, x, args, workdir, name):
    """{path: eval model or onnxruntime step} for the forward table."""
    paths = {} if theirs is None else {'mmseg fp32': theirs.eval()}
    paths['segplug fp32'] = ours.eval()
    # (options, the model's channels_last: its own setting, or on)
    options = {
        'fast': (FastOptions(), None),
        'fold+bf16': (FastOptions(bf16=True), None),
        'fold+bf16+channels-last': (FastOptions(bf16=True), True)
    }
    for path, (fast, channels_last) in options.items():
        model = copy.deepcopy(ours).eval()
        if channels_last:
            model.channels_last = True
        print(f'{name} {path}: {make_fast(model, fast)}')
        paths[path] = model
    if args.compile:
        paths['fast+torch.compile'] = compiled_model(ours, x, name)
    if not args.no_onnx:
        paths.update(onnx_models(ours, args, workdir, name))
    return paths


class _Compiled(torch.nn.Module):
    """A folded model whose ``encode_decode`` is torch.compile's (inductor
    with freezing: weights prepacked, convolutions fused with their
    activations)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.compiled = torch.compile(_Forward(model, False).eval())

    def encode_decode(self, x, metas):
        return self.compiled(x)


def compiled_model(ours, x, name):
    """The fast path (fp32) under torch.compile, compiled here on ``x``;
    the compile time is printed."""
    import time

    import torch._inductor.config as inductor
    inductor.freezing = True
    model = copy.deepcopy(ours).eval()
    make_fast(model, FastOptions(bf16=False))
    compiled = _Compiled(model).eval()
    start = time.perf_counter()
    forward_step(compiled, x)()
    print(f'{name} fast+torch.compile: compiled in '
          f'{time.perf_counter() - start:.0f} s')
    return compiled


def onnx_models(ours, args, workdir, name):
    """{path: file} of segplug's model exported at the benchmark's size,
    fp32 and int8, or {} (said)."""
    try:
        import onnxruntime  # noqa: F401

        from segplug.deploy import SegmentorGraph, export_onnx
    except ImportError as err:
        print(f'{name} onnxruntime: left out ({err})')
        return {}
    path = osp.join(workdir, f'{name}.onnx')
    export_onnx(SegmentorGraph(copy.deepcopy(ours)), path, (args.size, ) * 2)
    int8 = osp.join(workdir, f'{name}.int8.onnx')
    record = quantize_for_benchmark(path, int8, (args.size, ) * 2)
    print(f'{name} onnxruntime int8: {record["quantized_convs"]} '
          f'convolutions quantized, {len(record["kept_fp32"])} nodes in fp32')
    return {'onnxruntime': path, 'onnxruntime int8': int8}


def _ort_step(path, x, threads):
    from segplug.deploy import ort_session
    session = ort_session(path, threads)
    feed = {'input': x.cpu().numpy()}
    return lambda: torch.from_numpy(session.run(None, feed)[0])


def _rates(flops, seconds, peaks, int8=False):
    """GFLOP/s and its share of the fp32, bf16 and (an int8 path's) int8
    peaks."""
    rate = flops / seconds / 1e9
    return (rate, rate / peaks['fp32'], rate / peaks['bf16'],
            rate / peaks['int8'] if int8 and peaks.get('int8') else None)


def time_forward(paths, x, threads, device, args, flops, peaks):
    steps = {
        path: (_ort_step(m, x, threads)
               if isinstance(m, str) else forward_step(m, x))
        for path, m in paths.items()
    }
    outputs = {path: step().float() for path, step in steps.items()}
    ref_path = next(iter(paths))
    ref = outputs[ref_path]
    times = interleaved(
        list(steps.values()), device, args.warmup, args.repeats)
    ref_s = times[0][0]
    rows = []
    for (path, out), (seconds, mib) in zip(outputs.items(), times):
        agree = (out.argmax(1) == ref.argmax(1)).float().mean().item()
        diff = (out - ref).abs().max().item()
        rows.append(
            (path, 1 / seconds, ref_s / seconds,
             *_rates(flops, seconds, peaks, 'int8' in path), agree, diff, mib))
    return ref_path, rows


def time_train(ours, theirs, args, device, num_classes, flops, peaks):
    # copies: the SGD steps change the weights the forward tables compare
    models = {} if theirs is None else {'mmseg fp32': copy.deepcopy(theirs)}
    models['segplug fp32'] = copy.deepcopy(ours)
    xb = torch.randn(args.batch, 3, args.size, args.size, device=device)
    labels = torch.randint(
        0, num_classes, (args.batch, args.size, args.size), device=device)
    steps = {}
    for path, model in models.items():
        steps[path] = train_step(model.train(), xb, labels)
    amp_model = copy.deepcopy(ours).train()
    steps[f'segplug {amp_name(device)} (--amp)'] = train_step(
        amp_model, xb, labels, amp=True)
    times = interleaved(
        list(steps.values()), device, args.warmup, args.repeats)
    ref_s = times[0][0]
    return next(iter(steps)), [(path, 1 / seconds, ref_s / seconds,
                                *_rates(flops, seconds, peaks)[:3], mib)
                               for path, (seconds, mib) in zip(steps, times)]


def _f(value, spec='.3g'):
    return 'n/a' if value is None else format(value, spec)


def print_forward(name, threads, ref_path, rows):
    print(f'\n{name}, forward 1x3xHxW, {threads} thread(s):\n')
    print(f'| path | img/s | x {ref_path} | GFLOP/s | of fp32 peak | '
          f'of bf16 peak | of int8 peak | labels = {ref_path} | '
          'max logit diff | peak MiB |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for path, ips, ratio, rate, fp32, bf16, int8, agree, diff, mib in rows:
        print(f'| {path} | {ips:.3g} | {ratio:.3f} | {rate:.1f} | '
              f'{fp32:.2f} | {bf16:.2f} | {_f(int8, ".2f")} | {agree:.4f} | '
              f'{diff:.1e} | {_f(mib, ".0f")} |')


def print_train(name, threads, batch, ref_path, rows):
    print(f'\n{name}, training step at batch {batch}, {threads} thread(s):'
          '\n')
    print(f'| path | it/s | x {ref_path} | GFLOP/s | of fp32 peak | '
          'of bf16 peak | peak MiB |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for path, its, ratio, rate, fp32, bf16, mib in rows:
        print(f'| {path} | {its:.3g} | {ratio:.3f} | {rate:.1f} | '
              f'{fp32:.2f} | {bf16:.2f} | {_f(mib, ".0f")} |')


def print_profile(name, model, x, rows=12):
    from torch.profiler import ProfilerActivity, profile
    step = forward_step(model, x)
    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    print(f'\n{name}, fast path forward by op type ({total / 1e3:.0f} ms):'
          '\n')
    print('| op | calls | self ms | share |')
    print('| --- | --- | --- | --- |')
    events = sorted(
        prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    for e in events[:rows]:
        print(f'| {e.key} | {e.count} | {e.self_cpu_time_total / 1e3:.1f} '
              f'| {e.self_cpu_time_total / total:.3f} |')


def benchmark_model(name, args, device, workdir):
    """Print one model's tables; False when its pair's outputs differ."""
    built = build_models(name, args)
    if built is None:
        return False
    ours, theirs, num_classes = (built[0].to(device), built[1], built[2])
    theirs = None if theirs is None else theirs.to(device)
    x = torch.randn(1, 3, args.size, args.size, device=device)
    flops = forward_flops(_Forward(ours.eval(), False), x)
    train_flops = 3 * args.batch * forward_flops(_Forward(ours, True), x)
    print(f'{name}: {flops / 1e9:.1f} GFLOP per forward, '
          f'{train_flops / 1e9:.1f} per training step at batch {args.batch}')
    paths = forward_paths(ours, theirs, x, args, workdir, name)
    for threads in args.threads:
        torch.set_num_threads(threads)
        peaks = {
            'fp32': matmul_peak(torch.float32, device),
            'bf16': matmul_peak(torch.bfloat16, device)
        }
        int8 = ''
        if any(isinstance(m, str) for m in paths.values()):
            peaks['int8'] = int8_matmul_peak(threads)
            int8 = f', {peaks["int8"]:.1f} GOP/s int8'
        print(f'\n{name}, {threads} thread(s): matrix-multiply peak '
              f'{peaks["fp32"]:.1f} GFLOP/s fp32, {peaks["bf16"]:.1f} bf16'
              f'{int8}')
        print_forward(
            name, threads,
            *time_forward(paths, x, threads, device, args, flops, peaks))
        if not args.no_train:
            print_train(
                name, threads, args.batch,
                *time_train(ours, theirs, args, device, num_classes,
                            train_flops, peaks))
    if args.profile:
        print_profile(name, paths['fast'], x)
    return True


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--models', nargs='+', choices=[*PAIRS, SHAPES], default=list(PAIRS))
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
        help='timed calls per path and table (default 5)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed calls first (default 1)')
    parser.add_argument(
        '--threads',
        type=int,
        nargs='+',
        default=[torch.get_num_threads()],
        help="torch (and onnxruntime) thread counts (default torch's "
        'current)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--no-onnx',
        action='store_true',
        help='leave out onnxruntime (its export takes a while)')
    parser.add_argument(
        '--no-train', action='store_true', help='forward tables only')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='also the fast path under torch.compile (inductor, freezing; '
        'compiles for a minute or more)')
    parser.add_argument(
        '--profile',
        action='store_true',
        help="the fast path's forward time by op type")
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='ResNet-18, 1/16 widths: for testing this tool')
    args = parser.parse_args(argv)
    for key in ('size', 'batch', 'repeats'):
        if getattr(args, key) < 1:
            parser.error(f'--{key}: expected a positive int, got '
                         f'{getattr(args, key)}')
    if min(args.threads) < 1:
        parser.error(f'--threads: expected positive ints, got {args.threads}')
    if args.warmup < 0:
        parser.error(f'--warmup: expected >= 0, got {args.warmup}')
    if args.batch < 2:
        # The image-pool and 1x1-bin branches hold one value per channel
        # and image, which BN cannot normalise in training mode.
        parser.error(f'--batch: expected >= 2 (BN after global pooling), '
                     f'got {args.batch}')
    if args.device == 'cuda':
        args.no_onnx = True  # the exported model runs on the CPU provider
    return args


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    init_default_scope('mmseg')
    print(f'segplug paths vs mmseg eager fp32, {datetime.date.today()}, '
          f'{run_conditions(device)}{", tiny models" * args.tiny}')
    print(f'size {args.size}, train batch {args.batch}; median of '
          f'{args.repeats} interleaved after {args.warmup} warm-up')
    failed = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.models:
            if not benchmark_model(name, args, device, workdir):
                failed.append(name)
    if failed:
        raise SystemExit(
            f'error: outputs differ, not timed: {", ".join(failed)}')


if __name__ == '__main__':
    main()
