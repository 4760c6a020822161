"""Export a semantic segmentor (config + checkpoint) to ONNX, write the
sidecar json inference needs beside it and check onnxruntime against
PyTorch.

    segplug export CONFIG CHECKPOINT [--format onnx] [--shape H W]
        [--dynamic] [--opset 17] [--argmax] [--out FILE]
        [--cfg-options KEY=VALUE ...]

The graph takes the normalised image (N, 3, H, W float32: after mean/std
and the config's channel order) and returns logits (N, C, H, W) at the
input's size, or with --argmax the int64 label map (N, H, W).
"""
import argparse
import json
import os
import os.path as osp
import sys

from segplug.cli.arguments import add_cfg_options
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
    add_cfg_options(parser)
    args = parser.parse_args(argv)
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
    pre = cfg.model.get('data_preprocessor') or {}
    shape = tuple(args.shape or pre.get('size') or (512, 512))
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
