"""Check every sample a config's train, val and test loaders read, as
segplug train and segplug test do before their first iteration: each
image and label exists and decodes, labels are class indices the model
accepts, of their image's size. Problems are one ``error:`` line (exit 1),
the full list in ``<work_dir>/data_check.txt``.

    segplug check-data configs/deeplabv3plus_voc.py
"""
import argparse

from segplug.cli.arguments import add_cfg_options
from segplug.engine import check_data, load_config, user_errors_exit

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Check a config's data before training")
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--work-dir', help='where the list of problems is written')
    add_cfg_options(
        parser, 'train_dataloader.dataset.data_root=data/VOCdevkit/VOC2012')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with user_errors_exit():
        cfg = load_config(
            args.config, cfg_options=args.cfg_options, work_dir=args.work_dir)
        summary = check_data(cfg, LOADERS)
    print(summary or 'data check: off (data_check=off)')


if __name__ == '__main__':
    main()
