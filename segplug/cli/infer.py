"""Predict images, folders, globs and videos with a trained model: label
PNGs, overlays with a legend, probabilities, overlay videos (mmseg
configs), or drawn instances and a COCO results json (mmdet configs)."""
import argparse
import os.path as osp

from segplug.engine import ConfigError, user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Predict images and videos with a trained model')
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument(
        'checkpoint',
        help='its checkpoint (.pth), or a .onnx file from segplug export '
        'with --backend onnxruntime')
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='image files, folders (searched recursively), globs, videos')
    parser.add_argument(
        '--out',
        default='work_dirs/infer',
        help='where to '
        'write the results (default work_dirs/infer)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument(
        '--crf',
        action='store_true',
        help="refine with segplug's dense CRF (a config's own "
        'model.postprocessor is used as it is)')
    parser.add_argument(
        '--fast',
        action='store_true',
        help='the fast inference path: BN folded into the convolutions, '
        'bf16 where this device multiplies faster in it (docs/inference.md)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='weight of the class colours in the overlays (default 0.5)')
    parser.add_argument(
        '--save-probs',
        action='store_true',
        help='also write probs/<name>.npy, (C, H, W) float32')
    parser.add_argument(
        '--save-frames',
        action='store_true',
        help="also write each video frame's label PNG")
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='mmdet configs: the lowest score drawn (default 0.3)')
    parser.add_argument(
        '--backend', choices=['pytorch', 'onnxruntime'], default='pytorch')
    args = parser.parse_args(argv)
    if not 0 <= args.opacity <= 1:
        parser.error(f'--opacity: expected 0 to 1, got {args.opacity}')
    if args.batch_size < 1:
        parser.error(f'--batch-size: expected >= 1, got {args.batch_size}')
    return args


def build_segmenter(args, cfg):
    if args.backend == 'onnxruntime':
        if not args.checkpoint.endswith('.onnx'):
            raise ConfigError('--backend onnxruntime: expected a .onnx file '
                              f'from segplug export, got {args.checkpoint}')
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'ONNX model not found: {args.checkpoint}')
        if args.fast:
            raise ConfigError('--fast is for --backend pytorch; onnxruntime '
                              'applies its own graph optimisations')
        from segplug.deploy import OnnxSegmenter
        try:
            return OnnxSegmenter(
                args.checkpoint, crf=args.crf, device=args.device)
        except ValueError as err:  # e.g. a model exported with --argmax
            raise ConfigError(str(err)) from err
    from segplug.apis import PytorchSegmenter
    segmenter = PytorchSegmenter(cfg, args.checkpoint, args.device, args.crf,
                                 True if args.fast else None)
    if segmenter.fast:
        print(segmenter.fast)
    if segmenter.uses_config_postprocessor:
        print('--crf: the config has its own model.postprocessor '
              f'({segmenter.cfg.model.postprocessor.type}); using it as is')
    return segmenter


def main(argv=None):
    args = parse_args(argv)
    from segplug.apis import (InferOptions, collect_inputs, infer_files,
                              infer_instances, is_detection_config,
                              read_config)
    with user_errors_exit():
        cfg = read_config(args.config)
        if osp.exists(args.out) and not osp.isdir(args.out):
            raise ConfigError(f'--out {args.out} is a file; infer writes a '
                              'folder of results: give a folder')
        items = collect_inputs(args.inputs, args.out)
        if items.unread:
            kinds = ', '.join(f'{n} {ext}' for ext, n in items.unread.items())
            print(f'not read: {sum(items.unread.values())} images in formats '
                  f'infer does not read ({kinds}); convert them to .png or '
                  '.jpg to predict them')
        if items.left_out:
            print(f'left out {items.left_out} files under the output folder '
                  f'{args.out}, which lies inside an input folder')
        opts = InferOptions(args.out, args.batch_size, args.opacity,
                            args.save_probs, args.save_frames)
        if is_detection_config(cfg):
            if args.crf or args.fast or args.backend != 'pytorch':
                raise ConfigError('--crf, --fast and --backend onnxruntime '
                                  'are for mmseg configs; this is an mmdet '
                                  'config')
            counts = infer_instances(cfg, args.checkpoint, items, opts,
                                     args.device, args.score_thr)
        else:
            counts = infer_files(build_segmenter(args, cfg), items, opts)
    print(counts.summary(args.out))


if __name__ == '__main__':
    main()
