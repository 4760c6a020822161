"""The cost of training with the CRF inside the network (CRF-as-RNN).

    python tools/benchmark_crf_training.py [--config CONFIG] [--size 512]
        [--batch 1] [--repeats 5] [--warmup 1] [--threads N]
        [--device cpu|cuda]

Two tables, each from calls interleaved in one process (A, B, A, B, ...),
medians after warm-up, time and peak memory above each call's start:

- a training step (``loss``, backward, SGD update) of ``--config``'s model
  with its ``CRFAsRNN`` postprocessor against the same model with
  ``postprocessor=None``, on --batch copies of the sample photograph at
  size x size, normalised as the model's data preprocessor does, with
  random labels (no pretrained weights);
- the CRF alone on the sample photograph at size x size with the config's
  classes and noisy logits: its forward pass (no grad), forward and
  backward, forward and backward with ``recompute=True``, and the post-hoc
  :func:`dense_crf` for the same iterations.

The default config is DeepLab v1 LargeFOV with CRF-as-RNN on VOC (full
VGG-16, 21 classes, 5 training iterations).
"""
import argparse
import datetime
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from segplug.benchmarking import (interleaved, noisy_probs, print_table,
                                  run_conditions, sample_photo, train_step)
from segplug.models.postprocessors import CRFAsRNN, dense_crf

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(
    REPO, 'configs/deeplabv1/'
    'deeplabv1-largefov-crfasrnn_vgg16_4xb4-10k_voc12aug-512x512.py')


def build_models(config: str):
    """(the model with its CRFAsRNN, the same without it), same weights."""
    cfg = Config.fromfile(config).model
    if cfg.get('postprocessor', {}).get('type') != 'CRFAsRNN':
        raise SystemExit(f'error: {config}: expected a config whose '
                         'model.postprocessor is a CRFAsRNN')
    cfg.backbone.init_cfg = None  # no pretrained weights to read
    torch.manual_seed(0)
    with_crf = MODELS.build(cfg)
    cfg.postprocessor = None
    without = MODELS.build(cfg)
    without.load_state_dict(with_crf.state_dict(), strict=False)
    return with_crf, without


def _normalized_photo(model, size: int) -> torch.Tensor:
    """The sample photograph as the network's input (1, 3, size, size):
    RGB, normalised by the model's data preprocessor."""
    rgb = torch.from_numpy(sample_photo((size, size))).permute(2, 0, 1)
    pre = model.data_preprocessor
    return ((rgb.float() - pre.mean) / pre.std)[None]


def training_rows(args, device):
    models = [m.to(device).train() for m in build_models(args.config)]
    classes = models[0].postprocessor.num_classes
    # a photograph, not noise: the lattice of a noise image has several
    # times the vertices of a real one's
    x = _normalized_photo(models[0], args.size).to(device)
    x = x.expand(args.batch, -1, -1, -1).contiguous()
    labels = torch.randint(
        0, classes, (args.batch, args.size, args.size), device=device)
    (crf_s, crf_mb), (plain_s, plain_mb) = interleaved(
        [train_step(m, x, labels) for m in models], device, args.warmup,
        args.repeats)
    metric = f'train step at batch {args.batch}'
    return models[0].postprocessor, [
        ('with CRF-as-RNN', f'{metric}: s (lower is better)', crf_s, plain_s),
        ('with CRF-as-RNN', f'{metric}: peak MiB (lower is better)', crf_mb,
         plain_mb),
    ]


def crf_alone_rows(crf: CRFAsRNN, args, device):
    image = torch.from_numpy(sample_photo((args.size, args.size))).to(device)
    probs = noisy_probs(image.cpu().numpy(), crf.num_classes).to(device)
    logits = probs.log()
    settings = dict(
        bi_weight=crf.bi_weight.item(),
        pos_weight=crf.pos_weight.item(),
        **crf.widths)
    iters = crf.train_iters

    def forward():
        with torch.no_grad():
            crf.refine_logits(logits, image)

    def backward(recompute):

        def step():
            crf.recompute = recompute
            x = logits.clone().requires_grad_()
            crf.refine_logits(x, image).sum().backward()
            crf.recompute = False

        return step

    def post_hoc():
        dense_crf(probs, image, num_iters=iters, **settings)

    timed = interleaved(
        [forward, backward(False),
         backward(True), post_hoc], device, args.warmup, args.repeats)
    (fwd_s, fwd_mb), *rest = timed
    names = ('forward + backward', 'forward + backward, recompute',
             'post-hoc dense_crf')
    rows = []
    for name, (s, mb) in zip(names, rest):
        rows += [(name, 's (lower is better)', s, fwd_s),
                 (name, 'peak MiB (lower is better)', mb, fwd_mb)]
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    for key in ('size', 'batch', 'repeats', 'threads'):
        if getattr(args, key) < 1:
            parser.error(f'--{key}: expected a positive int, got '
                         f'{getattr(args, key)}')
    if args.size < 8:
        parser.error(f'--size: expected >= 8, got {args.size}')
    if args.warmup < 0:
        parser.error(f'--warmup: expected >= 0, got {args.warmup}')
    if not osp.isfile(args.config):
        parser.error(f'--config: file not found: {args.config}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    init_default_scope('mmseg')
    crf, train = training_rows(args, device)
    print(f'\nCRF-as-RNN training cost, {datetime.date.today()}, '
          f'{run_conditions(device)}')
    print(f'{osp.basename(args.config)}: {args.size}x{args.size}, '
          f'{crf.num_classes} classes, {crf.train_iters} mean-field '
          f'iterations; median of {args.repeats} interleaved after '
          f'{args.warmup} warm-up')
    print_table('model', 'without CRF', train, [])
    print(f'\nthe CRF alone, {crf.train_iters} iterations, against its '
          'forward pass')
    print_table('CRF', 'forward', crf_alone_rows(crf, args, device), [])


if __name__ == '__main__':
    main()
