"""Evaluate a checkpoint with an mmseg or mmdet config (segplug's parts
included); the config's default_scope says which.

A model that ``segplug export`` wrote (``MODEL.onnx``, fp32 or int8) in
place of the checkpoint is run by onnxruntime inside the config's own
test: its data preprocessor, test mode, postprocessor and evaluators."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

from segplug.cli.arguments import add_cfg_options
from segplug.engine import (ConfigError, add_fast_inference_hook, is_detection,
                            load_config, missing_checkpoint, run, type_name,
                            user_errors_exit)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, or a model segplug export wrote (.onnx)')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out',
        help='where predictions are saved: a directory of label maps '
        '(mmseg configs) or a .pkl file of results (mmdet configs)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory where drawn predictions are saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    add_cfg_options(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    parser.add_argument(
        '--fast',
        action='store_true',
        help='the fast inference path: BN folded into the convolutions, '
        'bf16 where this device multiplies faster in it (docs/inference.md)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def trigger_visualization_hook(cfg: Config, args) -> None:
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise ConfigError('--show/--show-dir need a visualization hook in '
                          'default_hooks')
    hooks.visualization.draw = True
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        # mmseg's and mmdet's visualizers both save PNGs under their save_dir
        cfg.visualizer.save_dir = args.show_dir


def dump_predictions(cfg: Config, out: str) -> None:
    if not is_detection(cfg):
        if osp.exists(out) and not osp.isdir(out):
            raise ConfigError(f'--out {out} is a file; an mmseg config writes '
                              'its label maps into a folder: give a folder')
        # mmseg's IoUMetric writes the label maps; other metrics of a list
        # (e.g. TrimapIoUMetric) take no such keys
        evaluators = cfg.test_evaluator
        writers = [
            e for e in (evaluators if isinstance(evaluators, (
                list, tuple)) else [evaluators]) if type_name(e) == 'IoUMetric'
        ]
        if not writers:
            raise ConfigError('--out DIR: expected an IoUMetric in '
                              'test_evaluator to write the label maps')
        for evaluator in writers:
            evaluator['output_dir'] = out
            evaluator['keep_results'] = True
        return
    if not out.endswith(('.pkl', '.pickle')):
        raise ConfigError('--out: an mmdet config dumps its results to a '
                          f'.pkl or .pickle file, got {out}')
    if osp.exists(out):
        raise ConfigError(f'--out {out} exists; give a new file name, or '
                          'remove it to write it again')
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    cfg.test_evaluator = [
        *evaluators,
        dict(type='DumpDetResults', out_file_path=out)
    ]


def use_exported_model(cfg: Config, onnx_path: str, args) -> None:
    """Put the exported model at ``onnx_path`` in place of the config's
    network (:class:`segplug.deploy.OnnxEncoderDecoder`)."""
    if is_detection(cfg):
        raise ConfigError('an exported model (.onnx) is a semantic '
                          'segmentor; expected an mmseg config')
    for flag in ('tta', 'fast'):
        if getattr(args, flag):
            raise ConfigError(f'--{flag} is for a PyTorch checkpoint, not '
                              f'an exported model ({onnx_path})')
    import segplug.deploy  # noqa: F401  registers OnnxEncoderDecoder
    model = cfg.model
    cfg.model = dict(
        type='OnnxEncoderDecoder',
        onnx_path=onnx_path,
        data_preprocessor=model.get('data_preprocessor'),
        test_cfg=model.get('test_cfg'),
        postprocessor=model.get('postprocessor'))
    cfg.load_from = None


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options,
                      args.work_dir)
    cfg.load_from = args.checkpoint
    exported = args.checkpoint.endswith('.onnx')
    if exported:
        use_exported_model(cfg, args.checkpoint, args)
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    if args.tta:
        if 'tta_pipeline' not in cfg or 'tta_model' not in cfg:
            raise ConfigError('--tta needs tta_pipeline and tta_model in '
                              f'the config {args.config}')
        tta_name = type_name(cfg.tta_model)
        if (cfg.model.get('postprocessor') and tta_name != 'SegplugTTAModel'):
            raise ConfigError(
                '--tta with a postprocessor (model.postprocessor) needs '
                "tta_model=dict(type='SegplugTTAModel'), which runs it once "
                f'on the merged prediction; got {tta_name}')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        dump_predictions(cfg, args.out)
    if not exported:  # refused --fast above
        add_fast_inference_hook(cfg, args.fast)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        sys.exit(f'error: {missing_checkpoint(args.checkpoint)}')
    with user_errors_exit():
        run(build_cfg(args), 'test', ['test_dataloader'])


if __name__ == '__main__':
    main()
