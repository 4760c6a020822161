"""Export a semantic segmentor (config + checkpoint) to ONNX, write the
sidecar json inference needs beside it and check onnxruntime against
PyTorch.

    segplug export CONFIG CHECKPOINT [--format onnx] [--shape H W]
        [--dynamic] [--opset 17] [--argmax] [--out FILE]
        [--quantize int8] [--calib-images N] [--cfg-options KEY=VALUE ...]

The graph takes the normalised image (N, 3, H, W float32: after mean/std
and the config's channel order) and returns logits (N, C, H, W) at the
input's size, or with --argmax the int64 label map (N, H, W).

With --quantize int8 an int8 model is written next to it (FILE.int8.onnx
and its sidecar), calibrated on N images of the config's training set
(segplug.deploy.quantize).
"""
import argparse
import json
import os
import os.path as osp
import sys

from segplug.cli.arguments import add_cfg_options
from segplug.deploy import TARGET_AGREEMENT
from segplug.engine import ConfigError, load_config, user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--format', choices=['onnx'], default='onnx')
    parser.add_argument(
        '--shape',
        nargs=2,
        type=int,
        metavar=('H', 'W'),
        help="the input's height and width (default: the data "
        "preprocessor's size, else 512 512)")
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='free batch, height and width (--shape is the traced one)')
    parser.add_argument(
        '--opset', type=int, default=17, help='ONNX opset (default 17)')
    parser.add_argument(
        '--argmax',
        action='store_true',
        help='return the int64 label map instead of the logits')
    parser.add_argument(
        '--out', help='the .onnx file (default: the checkpoint\'s name)')
    parser.add_argument(
        '--quantize',
        choices=['int8'],
        help='also write an int8 model (FILE.int8.onnx), calibrated on the '
        'training set')
    parser.add_argument(
        '--calib-images',
        type=int,
        default=32,
        help='training images to calibrate the int8 model on (default 32)')
    parser.add_argument(
        '--check-images',
        type=int,
        default=16,
        help='further training images its labels are checked on against '
        'the fp32 model (default 16)')
    parser.add_argument(
        '--int8-all',
        action='store_true',
        help='quantize the first convolution, the classifier and the '
        'resizes too (kept in fp32 by default: docs/deploy_cpu.md)')
    parser.add_argument(
        '--min-agreement',
        type=float,
        default=TARGET_AGREEMENT,
        help='share of pixels the int8 model must label as the fp32 one on '
        'the check images; below it, convolutions go back to fp32 '
        f'(default {TARGET_AGREEMENT})')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.min_agreement <= 1:
        parser.error('--min-agreement: expected a share from 0 to 1, got '
                     f'{args.min_agreement}')
    for key in ('calib_images', 'check_images'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")}: expected a positive '
                         f'int, got {getattr(args, key)}')
    if args.quantize and args.argmax:
        parser.error('--quantize: expected a model with logits, not --argmax')
    if args.shape is not None and min(args.shape) < 1:
        parser.error(f'--shape: expected positive ints, got {args.shape}')
    if not 7 <= args.opset <= 23:
        parser.error(f'--opset: expected 7 to 23, got {args.opset}')
    return args


def export(args) -> None:
    import onnx

    import segplug  # noqa: F401  registers the parts, the checkpoint list
    from segplug.deploy import (SegmentorGraph, build_sidecar, check_semantic,
                                compare_at_other_size,
                                compare_with_onnxruntime, export_onnx,
                                load_segmentor, preprocess, sample_image,
                                sidecar_path)
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    check_semantic(cfg)
    shape = tuple(args.shape or default_shape(cfg))
    calib = None
    if args.quantize:
        # before the export: a missing training set is known now
        from segplug.deploy import training_images
        calib = training_images(cfg, args.calib_images + args.check_images)
    model = load_segmentor(cfg, args.checkpoint)
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    graph = SegmentorGraph(model, argmax=args.argmax).eval()
    exporter = export_onnx(graph, out, shape, args.dynamic, args.opset)
    post = getattr(model, 'postprocessor', None)
    meta = build_sidecar(cfg, out, shape, args.dynamic, args.opset,
                         args.argmax,
                         post.state_dict() if post is not None else None)
    meta['exporter'] = exporter
    meta['opset'] = onnx.load(
        out, load_external_data=False).opset_import[0].version
    with open(sidecar_path(out), 'w') as f:
        json.dump(meta, f, indent=2)
    print(f'exported {out} ({exporter} exporter, opset {meta["opset"]}, '
          f'{"dynamic" if args.dynamic else "static"} input '
          f'{"x".join(map(str, shape))}) and {sidecar_path(out)}')
    image, source = sample_image(cfg, shape)
    inputs, _ = preprocess(image, meta)
    size = 'x'.join(map(str, inputs.shape[2:]))
    checks = [
        compare_with_onnxruntime(graph, out, inputs, f'{source} ({size})')
    ]
    if args.dynamic:
        checks.append(compare_at_other_size(graph, out, shape))
    for parity in checks:
        report(parity, out)
    if args.quantize:
        quantize(out, meta, calib, args, graph, inputs, source)


def default_shape(cfg) -> tuple:
    """The window of a slide test mode, else the data preprocessor's size,
    else 512x512."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide' and test_cfg.get('crop_size'):
        return tuple(test_cfg['crop_size'])
    pre = cfg.model.get('data_preprocessor') or {}
    return tuple(pre.get('size') or (512, 512))


def int8_path(out: str) -> str:
    """``model.onnx`` -> ``model.int8.onnx``."""
    return osp.splitext(out)[0] + '.int8.onnx'


def quantize(out, meta, paths, args, graph, inputs, source) -> None:
    """Write the int8 model beside ``out`` and its sidecar; ConfigError
    where its labels stay under the target share of the fp32 ones."""
    from segplug.deploy import (compare_with_onnxruntime, input_batches,
                                quantize_int8, sidecar_path)
    target = int8_path(out)
    calib = paths[:args.calib_images]
    check = paths[args.calib_images:args.calib_images +
                  args.check_images] or calib
    if len(check) < args.check_images:
        print(f'int8: {len(paths)} training images: checked on '
              f'{"the calibration images" if check is calib else len(check)}'
              ' (fewer than --calib-images + --check-images)')
    report = quantize_int8(
        out,
        target,
        list(input_batches(calib, meta)),
        list(input_batches(check, meta)),
        args.min_agreement,
        keep_fp32=not args.int8_all)
    quantization = report.as_dict()
    quantization['calibration'].update(
        images=len(calib),
        set='training',
        first=osp.basename(calib[0]),
        last=osp.basename(calib[-1]))
    quantization['check'].update(images=len(check))
    int8_meta = dict(
        meta, model=osp.basename(target), quantization=quantization)
    with open(sidecar_path(target), 'w') as f:
        json.dump(int8_meta, f, indent=2)
    parity = compare_with_onnxruntime(graph, target, inputs, source)
    print(f'exported {target} (int8, {report.quantized_convs} '
          f'convolutions quantized, {len(report.kept_fp32)} nodes kept in '
          f'fp32) and {sidecar_path(target)}')
    print(f'int8 vs PyTorch on {source}: argmax agreement '
          f'{100 * parity.agreement:.3f}%, max |logit difference| '
          f'{parity.max_diff:.2e}')
    if report.agreement < report.target:
        raise ConfigError(
            f'{target}: its labels equal the fp32 model\'s on '
            f'{100 * report.agreement:.2f}% of the pixels of '
            f'{len(check)} training images (target '
            f'{100 * report.target:.1f}%); calibrate on more images '
            '(--calib-images) or deploy the fp32 model')


def report(parity, out: str) -> None:
    """Print one parity check; ConfigError where it fails."""
    diff = ('n/a (--argmax)'
            if parity.max_diff is None else f'{parity.max_diff:.2e}')
    print(
        f'onnxruntime vs PyTorch on {parity.source}: max |logit '
        f'difference| {diff}, argmax agreement {100 * parity.agreement:.3f}%')
    if not parity.ok:
        raise ConfigError(
            f'{out}: onnxruntime differs from PyTorch on {parity.source} '
            f'(max |logit difference| {diff}, argmax agreement '
            f'{100 * parity.agreement:.3f}%; expected at most 1e-3 and at '
            'least 99.9%)')


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'error: config not found: {args.config}')
    with user_errors_exit():
        export(args)


if __name__ == '__main__':
    main()
