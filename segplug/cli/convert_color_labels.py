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
from segplug.data_preparation.colour_labels import convert_colour_label
from segplug.engine import (ConfigError, leaf_dataset_cfgs, load_config,
                            user_errors_exit)
from segplug.engine.checks.data.file_facts import file_facts
from segplug.engine.checks.data.file_inspection import LABEL
from segplug.engine.checks.data.sample_list import label_rules, leaf_samples

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


def colour_labels(cfg):
    """(label path, palette) of every colour label the loaders read."""
    found = {}
    for loader in LOADERS:
        if not cfg.get(loader):
            continue
        for ds in leaf_dataset_cfgs(cfg[loader]['dataset']):
            leaf = leaf_samples(loader, ds, cfg.get('default_scope'))
            if leaf is None or not leaf.labels:
                continue
            paths = [p for kind, p in leaf.files() if kind == LABEL]
            facts, _ = file_facts([(LABEL, p) for p in paths], leaf.folder)
            for path in paths:
                if facts[(LABEL, path)].get('colour'):
                    if not leaf.palette:
                        raise ConfigError(
                            f'{loader}: {path} is a colour label but the '
                            'dataset has no palette to map it by')
                    found[path] = leaf.palette
    return found


def main(argv=None):
    args = parse_args(argv)
    with user_errors_exit():
        cfg = load_config(
            args.config, cfg_options=args.cfg_options, work_dir=args.work_dir)
        labels = colour_labels(cfg)
        rules = label_rules(cfg)
        ignore = rules.ignore_index if rules else 255
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
