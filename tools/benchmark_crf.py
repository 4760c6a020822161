"""Time segplug's dense CRF against pydensecrf2 (Krähenbühl's C++ code).

    python tools/benchmark_crf.py [--size 500x375] [--labels 21]
        [--iters 5 10] [--repeats 5] [--warmup 1] [--threads 1]
        [--device cpu|cuda] [--image PATH]

Input: a real photograph (matplotlib's sample ``grace_hopper.jpg`` unless
``--image``) resized to ``--size``, and noisy class probabilities of the
kind a network at output stride 8 gives: labels from the image's colour
clusters, logits = 2.5 x one-hot + noise drawn at 1/8 resolution and
upsampled bilinearly + per-pixel noise, then softmax. Both CRFs get the
same probabilities, image and DeepLab v1 LargeFOV settings; each timed call
is the whole job from probabilities to marginals (pydensecrf: unary,
kernels with their lattices, inference; segplug: :func:`dense_crf`, lattice
build included). Calls alternate (pydensecrf, segplug, ...) in one process
at the same thread count; the table gives medians after warm-up, the ratio
segplug / pydensecrf (below 1 = segplug faster) and the fraction of pixels
whose labels agree. pydensecrf is single-threaded, so ``--threads`` above 1
only speeds up segplug; on ``--device cuda`` segplug runs on the GPU and
pydensecrf on the CPU.
"""
import argparse
import datetime
import os.path as osp
import sys

import numpy as np
import torch

from segplug.benchmarking import (device_name, interleaved, noisy_probs,
                                  sample_photo)
from segplug.models.postprocessors import dense_crf

LARGEFOV = dict(
    bi_weight=4.0,
    bi_xy_std=121.0,
    bi_rgb_std=5.0,
    pos_weight=3.0,
    pos_xy_std=3.0)


def reference_crf(probs: np.ndarray, image: np.ndarray, num_iters: int,
                  bi_weight, bi_xy_std, bi_rgb_std, pos_weight,
                  pos_xy_std) -> np.ndarray:
    """pydensecrf2's marginals (C, H, W), as DeepLab calls it."""
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax
    c, h, w = probs.shape
    crf = dcrf.DenseCRF2D(w, h, c)
    crf.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(probs)))
    crf.addPairwiseGaussian(sxy=pos_xy_std, compat=pos_weight)
    crf.addPairwiseBilateral(
        sxy=bi_xy_std,
        srgb=bi_rgb_std,
        rgbim=np.require(image, np.uint8, ['C', 'W']),
        compat=bi_weight)
    return np.asarray(crf.inference(num_iters)).reshape(c, h, w)


def benchmark(image, probs, iters, repeats, warmup, device):
    """Rows (iterations, reference s, segplug s, ratio, agreement)."""
    probs_np = probs.numpy()
    probs_dev = probs.to(device)
    image_dev = torch.from_numpy(image).to(device)
    rows = []
    for n in iters:
        # the last call's marginals of each, for the agreement
        last = {}

        def ref_step():
            last['ref'] = reference_crf(probs_np, image, n, **LARGEFOV)

        def our_step():
            last['ours'] = dense_crf(
                probs_dev, image_dev, num_iters=n, **LARGEFOV)

        (ref_s, _), (our_s, _) = interleaved([ref_step, our_step],
                                             torch.device(device),
                                             warmup,
                                             repeats,
                                             memory=False)
        agree = float(
            (last['ref'].argmax(0) == last['ours'].argmax(0).cpu().numpy()
             ).mean())
        rows.append((n, ref_s, our_s, our_s / ref_s, agree))
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', default='500x375', help='WIDTHxHEIGHT')
    parser.add_argument('--labels', type=int, default=21)
    parser.add_argument('--iters', type=int, nargs='+', default=[5, 10])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--image', help='an image file instead of the '
        'sample photograph')
    args = parser.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        parser.error(f'--size: expected WIDTHxHEIGHT, got {args.size!r}')
    if min(w, h) < 2 or args.labels < 2 or args.repeats < 1 or min(
            args.iters) < 0 or args.warmup < 0 or args.threads < 1:
        parser.error('expected --size >= 2x2, --labels >= 2, --repeats >= '
                     '1, --iters >= 0, --warmup >= 0, --threads >= 1')
    if args.image and not osp.isfile(args.image):
        parser.error(f'--image: file not found: {args.image}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device')
    args.size = (w, h)
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        import pydensecrf.densecrf  # noqa: F401
    except ImportError:
        sys.exit('error: pydensecrf2 is not installed (pip install '
                 'pydensecrf2; it is in the dev extra)')
    torch.set_num_threads(args.threads)
    image = sample_photo(args.size, args.image)
    probs = noisy_probs(image, args.labels)
    device = device_name(torch.device(args.device))
    print(f'{datetime.date.today()} | {device} | torch {torch.__version__} '
          f'| threads {args.threads} | segplug on {args.device}, pydensecrf '
          f'on cpu | image {args.size[0]}x{args.size[1]}, {args.labels} '
          f'labels | median of {args.repeats} after {args.warmup} warm-up')
    print('| iterations | pydensecrf s | segplug s | segplug/pydensecrf '
          '| labels agree |')
    print('| --- | --- | --- | --- | --- |')
    for n, ref_s, our_s, ratio, agree in benchmark(image, probs, args.iters,
                                                   args.repeats, args.warmup,
                                                   args.device):
        print(f'| {n} | {ref_s:.4f} | {our_s:.4f} | {ratio:.3f} | '
              f'{agree:.4f} |')


if __name__ == '__main__':
    main()
