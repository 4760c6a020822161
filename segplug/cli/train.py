"""Train a model from an mmseg or mmdet config (segplug's parts included)."""
import argparse
import os

from mmengine.config import Config

from segplug.cli.arguments import add_cfg_options
from segplug.engine import enable_amp, load_config, run, user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, without a value, from '
        'the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: fp16 on a GPU, bf16 autocast on a CPU with '
        'native bf16')
    add_cfg_options(parser,
                    'train_cfg.max_iters=100 model.decode_head.num_classes=5')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options,
                      args.work_dir)
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    with user_errors_exit():
        run(build_cfg(args), 'train', ['train_dataloader', 'val_dataloader'])


if __name__ == '__main__':
    main()
