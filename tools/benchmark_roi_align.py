"""Time segplug's GatherRoIAlign against mmcv's compiled RoIAlign, at equal
outputs.

    python tools/benchmark_roi_align.py [--cases shapes coco]
        [--repeats 5] [--warmup 1] [--threads N] [--device cpu|cuda]
        [--tiny] [--train-step]

Each case is what one FPN level of a Mask R-CNN training step hands the
RoI layer: a feature map, RoIs of random position and size on it (sizes
that level gets), 7x7 bins.
- ``shapes``: the shapes Mask R-CNN (8 images, 64 channels, a 32x32 stride-4
  level, 512 RoIs of 15-80 px, 2x2 samples per bin);
- ``coco``: mmdet's R-50-FPN at 800x1216 (2 images, 256 channels, the
  200x304 stride-4 level, 512 RoIs of 32-112 px, adaptive sampling).
Both ops get the same features and RoIs; a case whose outputs or feature
gradients differ by more than 1e-4 is not timed. Calls alternate (segplug,
mmcv, ...) in one process at the same thread count; the table gives the
medians after warm-up of forward alone and of forward plus backward, and
the ratio segplug / mmcv (below 1 = segplug faster).

``--train-step`` also times whole training steps (forward, losses,
backward, AdamW) of the shapes Mask R-CNN config with each extractor, from
the same initial weights, on batches of 8 shapes images written to a
temporary folder.
"""
import argparse
import copy
import datetime
import itertools
import os.path as osp
import shutil
import tempfile

import torch
from mmcv.ops import RoIAlign as MmcvRoIAlign

from segplug.benchmarking import interleaved, print_table, run_conditions
from segplug.models.roi_extractors import GatherRoIAlign

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MASK_RCNN = ('configs/mask_rcnn/'
             'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
# name: (images, channels, level size, stride, RoIs, RoI size range in
# input pixels, sampling ratio)
CASES = {
    'shapes': (8, 64, (32, 32), 4, 512, (15, 80), 2),
    'coco': (2, 256, (200, 304), 4, 512, (32, 112), 0),
}


def make_case(name, device, tiny=False, seed=0):
    """(features, rois, layer arguments) of ``name``."""
    images, channels, (h, w), stride, num, (lo, hi), ratio = CASES[name]
    if tiny:
        channels, num = 4, 16
    g = torch.Generator().manual_seed(seed)
    size = lo + torch.rand(num, 2, generator=g) * (hi - lo)
    corner = torch.rand(
        num, 2, generator=g) * (
            torch.tensor([w, h]) * stride - size)
    rois = torch.cat([
        torch.randint(0, images,
                      (num, 1), generator=g).float(), corner, corner + size
    ], 1)
    features = torch.randn(images, channels, h, w, generator=g)
    return (features.to(device).requires_grad_(), rois.to(device),
            dict(
                output_size=7, spatial_scale=1 / stride, sampling_ratio=ratio))


def compare(ops, features, rois):
    """Largest difference of outputs and of feature gradients."""
    outs, grads = [], []
    for op in ops:
        out = op(features, rois)
        grad, = torch.autograd.grad(out.sum(), features)
        outs.append(out)
        grads.append(grad)
    return max((outs[0] - outs[1]).abs().max().item(),
               (grads[0] - grads[1]).abs().max().item())


def _forward(op, features, rois):

    def step():
        with torch.no_grad():
            op(features, rois)

    return step


def _train(op, features, rois):

    def step():
        out = op(features, rois)
        torch.autograd.grad(out.sum(), features)

    return step


def train_steps(device, batches: int):
    """One training step each of the shapes Mask R-CNN with segplug's and
    with mmdet's (mmcv's) RoI extractor, over the same ``batches``."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from segplug.data_preparation import generate_shapes
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(REPO, MASK_RCNN))
    root = tempfile.mkdtemp(prefix='benchmark_roi_align_')
    generate_shapes(root, num_train=8 * batches, num_val=1)
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg.dataset.data_root = root
    loader = iter(Runner.build_dataloader(loader_cfg))
    data = [next(loader) for _ in range(batches)]
    shutil.rmtree(root)  # the batches are in memory now
    steps, weights = [], None
    for extractor in ('TorchRoIExtractor', 'SingleRoIExtractor'):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.roi_head.bbox_roi_extractor.type = extractor
        model_cfg.roi_head.mask_roi_extractor.type = extractor
        model = MODELS.build(model_cfg)
        if weights is None:
            model.init_weights()
            weights = copy.deepcopy(model.state_dict())
        else:
            model.load_state_dict(weights)
        model.to(device).train()
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        cycle = itertools.cycle(data)
        steps.append(
            lambda m=model, w=wrapper, c=cycle: m.train_step(next(c), w))
    return steps


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cases', nargs='+', choices=list(CASES), default=list(CASES))
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed calls per op and case (median)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        default=torch.get_num_threads(),
        help='torch threads, the same for both ops')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='4 channels and 16 RoIs: checks the script only')
    parser.add_argument(
        '--train-step',
        action='store_true',
        help='also time training steps of the shapes '
        'Mask R-CNN')
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0 or args.threads < 1:
        parser.error('--repeats and --threads must be >= 1, --warmup >= 0')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device here')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows, failed = [], []
    for name in args.cases:
        features, rois, kwargs = make_case(name, device, args.tiny)
        ops = (GatherRoIAlign(**kwargs), MmcvRoIAlign(**kwargs))
        diff = compare(ops, features, rois)
        print(f'{name}: outputs and gradients equal (max abs diff '
              f'{diff:.2e}, {len(rois)} RoIs)')
        if diff > 1e-4:
            failed.append(name)
            continue
        for metric, make in (('forward ms', _forward),
                             ('forward + backward ms', _train)):
            (ours,
             _), (theirs,
                  _) = interleaved([make(op, features, rois) for op in ops],
                                   device, args.warmup, args.repeats)
            rows.append((name, metric, ours * 1e3, theirs * 1e3))
    if args.train_step:
        (ours, _), (theirs, _) = interleaved(
            train_steps(device, 2), device, args.warmup, args.repeats)
        rows.append(
            ('Mask R-CNN', 'training step ms', ours * 1e3, theirs * 1e3))
    print(f'\nsegplug RoIAlign vs mmcv, {datetime.date.today()}, '
          f'{run_conditions(device)}{", tiny" * args.tiny}')
    print(f'median of {args.repeats} interleaved after {args.warmup} '
          'warm-up')
    print_table('case', 'mmcv', rows, failed)


if __name__ == '__main__':
    main()
