"""Run a trained segmentor over a config's val (or test) set on the CPU,
draw its row-normalised confusion matrix with the class names and print
the per-class IoU and accuracy.

    segplug confusion-matrix configs/deeplabv3plus_shapes.py \
        work_dirs/demo/iter_5000.pth --out work_dirs/demo/confusion.png
"""
import argparse

from segplug.analysis import (build_segmentor, count_confusion, normalize_rows,
                              per_class_table, plot_confusion_matrix,
                              require_mmseg)
from segplug.cli.arguments import add_cfg_options
from segplug.engine import check_data, load_config, user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Confusion matrix and per-class IoU of a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', default='confusion_matrix.png', help='image file to write')
    parser.add_argument(
        '--split',
        choices=('val', 'test'),
        default='val',
        help="the config's val_dataloader or test_dataloader")
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    loader = f'{args.split}_dataloader'
    with user_errors_exit():
        cfg = load_config(args.config, cfg_options=args.cfg_options)
        require_mmseg(cfg)
        check_data(cfg, [loader])
        model = build_segmentor(cfg, args.checkpoint)
        matrix, classes = count_confusion(cfg, model, loader)
    print(per_class_table(matrix, classes))
    out = plot_confusion_matrix(normalize_rows(matrix), classes, args.out)
    print(f'confusion matrix: {out}')


if __name__ == '__main__':
    main()
