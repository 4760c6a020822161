"""Draw a run's training curves (loss, learning rate) and validation
metrics over the iterations, several runs in one figure for comparison,
from mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json``.

    segplug plot-logs work_dirs/a work_dirs/b --keys loss mIoU
"""
import argparse
import os.path as osp

from segplug.analysis import load_run, plot_curves, select_keys
from segplug.engine import user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot training curves and validation metrics')
    parser.add_argument(
        'runs',
        nargs='+',
        metavar='WORK_DIR',
        help='a work dir, one of its timestamp dirs or a scalars.json')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=(),
        help='scalars to draw (default: loss, lr and every validation '
        'metric)')
    parser.add_argument(
        '--out', default='curves.png', help='image file to write')
    return parser.parse_args(argv)


def run_name(path: str) -> str:
    """The work dir's name for a work dir, timestamp dir or scalars.json."""
    path = osp.abspath(path)
    if osp.isfile(path):  # <work_dir>/<timestamp>/vis_data/scalars.json
        path = osp.dirname(osp.dirname(osp.dirname(path)))
    elif osp.isdir(osp.join(path, 'vis_data')):
        path = osp.dirname(path)
    return osp.basename(path)


def main(argv=None):
    args = parse_args(argv)
    names = [run_name(p) for p in args.runs]
    if len(set(names)) < len(names):
        names = list(args.runs)
    with user_errors_exit():
        runs = [load_run(p, n) for p, n in zip(args.runs, names)]
        keys = select_keys(runs, args.keys)
    print(f'curves of {", ".join(keys)}: {plot_curves(runs, keys, args.out)}')


if __name__ == '__main__':
    main()
