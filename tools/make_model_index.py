"""Write model-index.yml and configs/<family>/metafile.yml from the results
tables of the family READMEs (mim's and mmengine's model index format).

    python tools/make_model_index.py [--check]

With --check nothing is written: exit 1 naming each file that differs
from what its README gives.
"""
import argparse
import os
import os.path as osp
import sys

from segplug.recipes import build_model_index

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def families(repo: str):
    root = osp.join(repo, 'configs')
    return sorted(
        d for d in os.listdir(root)
        if osp.isfile(osp.join(root, d, 'README.md')))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='compare instead of writing; exit 1 if a file differs')
    args = parser.parse_args(argv)
    files = build_model_index(REPO, families(REPO))
    stale = []
    for path, text in files.items():
        full = osp.join(REPO, path)
        current = open(
            full, encoding='utf-8').read() if osp.isfile(full) else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            with open(full, 'w', encoding='utf-8') as f:
                f.write(text)
    if args.check and stale:
        sys.exit(f'error: out of date with the READMEs: {", ".join(stale)}; '
                 'run python tools/make_model_index.py')
    print(f'{len(files)} files, {len(stale)} '
          f'{"differ" if args.check else "written"}')


if __name__ == '__main__':
    main()
