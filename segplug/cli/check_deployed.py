"""The accuracy gate of an exported model (fp32 or int8): its mIoU and
labels on the config's test set against the PyTorch checkpoint's.

    segplug check-deployed CONFIG CHECKPOINT MODEL.onnx
        [--max-miou-drop 0.3] [--min-agreement 0.99] [--images N]
        [--cfg-options KEY=VALUE ...]

Both predict every test image (the PyTorch model as segplug infer does,
the exported one under onnxruntime as segplug infer --backend onnxruntime
does); the mIoU of each is mmseg's (IoUMetric), and the agreement is the
share of pixels the two label alike. Exits 1 where the exported model's
mIoU is more than --max-miou-drop under the PyTorch model's or its
agreement under --min-agreement.
"""
import argparse
import os.path as osp
import sys

from segplug.cli.arguments import add_cfg_options
from segplug.deploy import MAX_MIOU_DROP, MIN_AGREEMENT
from segplug.engine import (ConfigError, load_config, missing_checkpoint,
                            user_errors_exit)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='its PyTorch checkpoint')
    parser.add_argument('model', help='the exported model (.onnx)')
    parser.add_argument(
        '--max-miou-drop',
        type=float,
        default=MAX_MIOU_DROP,
        help=f'mIoU points the model may lose (default {MAX_MIOU_DROP})')
    parser.add_argument(
        '--min-agreement',
        type=float,
        default=MIN_AGREEMENT,
        help='share of pixels labelled as the PyTorch model labels them '
        f'(default {MIN_AGREEMENT})')
    parser.add_argument(
        '--images', type=int, help='the first N test images (default: all)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if args.max_miou_drop < 0:
        parser.error('--max-miou-drop: expected >= 0, got '
                     f'{args.max_miou_drop}')
    if not 0 <= args.min_agreement <= 1:
        parser.error('--min-agreement: expected a share from 0 to 1, got '
                     f'{args.min_agreement}')
    if args.images is not None and args.images < 1:
        parser.error(f'--images: expected a positive int, got {args.images}')
    return args


def check(args) -> None:
    from segplug.apis import PytorchSegmenter
    from segplug.deploy import OnnxSegmenter, run_gate
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    deployed = OnnxSegmenter(args.model)
    reference = PytorchSegmenter(cfg, args.checkpoint)
    result = run_gate(reference, deployed, cfg, args.images)
    print(f'{result.images} test images: mIoU {result.reference_miou:.2f} '
          f'(PyTorch) and {result.deployed_miou:.2f} ({args.model}), '
          f'{result.drop:.3f} points lost; labels agree on '
          f'{100 * result.agreement:.3f}% of the pixels')
    if not result.passes(args.max_miou_drop, args.min_agreement):
        raise ConfigError(
            f'{args.model} misses the gate: {result.drop:.3f} mIoU points '
            f'under PyTorch (at most {args.max_miou_drop}) and '
            f'{100 * result.agreement:.2f}% of the labels alike (at least '
            f'{100 * args.min_agreement:.1f}%)')


def main(argv=None):
    args = parse_args(argv)
    for path in (args.config, args.model):
        if not osp.isfile(path):
            sys.exit(f'error: not found: {path}')
    if not osp.isfile(args.checkpoint):
        sys.exit(f'error: {missing_checkpoint(args.checkpoint)}')
    with user_errors_exit():
        check(args)


if __name__ == '__main__':
    main()
