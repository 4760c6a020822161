"""Turn the colour (RGB) labels a config's datasets read into the class
index PNGs mmseg needs, in place: each colour of the dataset's palette
becomes its class index, VOC's void colour and any other colour the
decode head's ignore_index (255 by default). The originals are moved to a
backup folder.

    segplug convert-color-labels configs/deeplabv3plus_voc.py
"""
import argparse
import os
import os.path as osp
import shutil

from segplug.cli.arguments import add_cfg_options
from segplug.data_preparation import convert_colour_label
from segplug.engine import find_colour_labels, load_config, user_errors_exit

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--backup-dir',
        help='where the colour originals go (default: '
        '<work_dir>/colour_labels)')
    parser.add_argument('--work-dir', help='the run\'s work dir')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with user_errors_exit():
        cfg = load_config(
            args.config, cfg_options=args.cfg_options, work_dir=args.work_dir)
        labels, ignore = find_colour_labels(cfg, LOADERS)
        backup = args.backup_dir or osp.join(cfg.work_dir, 'colour_labels')
        unknown = {}
        for path, palette in labels.items():
            kept = osp.join(backup, osp.abspath(path).lstrip(os.sep))
            os.makedirs(osp.dirname(kept), exist_ok=True)
            shutil.move(path, kept)
            unknown[path] = convert_colour_label(kept, path, palette, ignore)
    odd = [f'{p} ({n} pixels)' for p, n in unknown.items() if n]
    print(f'converted {len(labels)} colour labels to class indices' +
          (f'; originals in {backup}' if labels else ''))
    if odd:
        print(f'{len(odd)} had colours not in the palette, now the ignore '
              f'index {ignore}: ' + ', '.join(odd[:10]))


if __name__ == '__main__':
    main()
