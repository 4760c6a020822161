"""Where a packaged config is, or a copy of it to start your own from.

    segplug config NAME                # print its path
    segplug config NAME --copy DIR     # write DIR/<its file name>

NAME is what ``segplug configs`` lists (``family/file.py``), the bare file
name, or ``segplug::family/file.py``. The copy keeps inheriting: its
relative ``_base_`` entries become ``segplug::`` names, so it loads from
any folder while segplug is installed.
"""
import argparse
import ast
import os
import os.path as osp
import sys

from segplug.recipes import ConfigNotFoundError, config_root, resolve_config


def _base_strings(text: str):
    """The string literals of the module-level ``_base_`` assignment."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            return [
                n.value for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
    return []


def with_packaged_bases(path: str) -> str:
    """The text of the config at ``path`` with each relative ``_base_``
    written as its ``segplug::`` name."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    root = osp.realpath(config_root())
    for base in _base_strings(text):
        if '::' in base:
            continue
        target = osp.realpath(osp.join(osp.dirname(path), base))
        name = osp.relpath(target, root)
        if name.startswith('..'):
            continue
        text = text.replace(f"'{base}'", f"'segplug::{name}'").replace(
            f'"{base}"', f'"segplug::{name}"')
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('name', help='a packaged config')
    parser.add_argument(
        '--copy',
        metavar='DIR',
        help='write a copy into DIR (created if needed)')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing copy')
    args = parser.parse_args(argv)
    try:
        path = resolve_config(args.name)
    except ConfigNotFoundError as err:
        sys.exit(f'error: {err}')
    path = osp.realpath(path)
    if not args.copy:
        print(path)
        return
    if osp.exists(args.copy) and not osp.isdir(args.copy):
        sys.exit(f'error: --copy {args.copy}: expected a folder, got a file')
    out = osp.join(args.copy, osp.basename(path))
    if osp.exists(out) and not args.force:
        sys.exit(f'error: {out} exists; pass --force to overwrite it')
    os.makedirs(args.copy, exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(with_packaged_bases(path))
    print(out)


if __name__ == '__main__':
    main()
