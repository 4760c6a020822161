"""Print a config as the tools read it: its bases merged, ``--cfg-options``
applied, the work dir chosen, and checked by segplug's config check
(keys no part accepts, wrong types, num_classes against the data).

    segplug print-config CONFIG [--cfg-options K=V ...] [--out FILE]
"""
import argparse

from segplug.cli.arguments import add_cfg_options
from segplug.engine import check_config, load_config, user_errors_exit

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='config file or packaged name')
    parser.add_argument('--work-dir', help='the run\'s work dir')
    parser.add_argument(
        '--out', help='also write the resolved config to this .py file')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    with user_errors_exit():
        cfg = load_config(
            args.config, cfg_options=args.cfg_options, work_dir=args.work_dir)
        check_config(cfg, [name for name in LOADERS if cfg.get(name)])
    print(cfg.pretty_text)
    if args.out:
        cfg.dump(args.out)
        print(f'written to {args.out}')


if __name__ == '__main__':
    main()
