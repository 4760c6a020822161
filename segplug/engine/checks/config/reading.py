"""Read a config file, or say in one line which file of its ``_base_``
chain is wrong and where.

mmengine reports a syntax error as ``(<unknown>, line 2)`` without the file
(the config or any of its bases), and a missing base as the path it
joined, without the config that lists it.
"""
import ast
import difflib
import os
import os.path as osp
from typing import List, Optional, Set

from mmengine.config import Config

from ...errors import ConfigError


def _bases(path: str, tree: ast.Module) -> List[str]:
    """The ``_base_`` entries of the config ``tree`` (literal ones)."""
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == '_base_'):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [value] if isinstance(value, str) else list(value)
    return []


def _closest_files(path: str, config: str) -> str:
    """'; closest: ...' for the missing ``path``, ``config`` left out."""
    folder = osp.dirname(osp.normpath(path)) or '.'
    try:
        names = [
            f for f in os.listdir(folder) if f.endswith('.py')
            and not osp.samefile(osp.join(folder, f), config)
        ]
    except OSError:
        return ''
    close = difflib.get_close_matches(osp.basename(path), names, n=2)
    return ('; closest: ' + ', '.join(osp.join(folder, c)
                                      for c in close) if close else '')


def find_config_problem(path: str,
                        seen: Optional[Set[str]] = None) -> Optional[str]:
    """The first config of ``path``'s ``_base_`` chain (``path`` itself
    first) that is missing or is not valid Python, as one line; None when
    every file parses."""
    seen = set() if seen is None else seen
    path = osp.normpath(path)
    real = osp.realpath(path)
    if real in seen:
        return None
    seen.add(real)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        return f'config {path} cannot be read: {err}'
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as err:
        return (f'config {path}, line {err.lineno}: syntax error: {err.msg}; '
                'fix the file')
    for base in _bases(path, tree):
        if not isinstance(base, str):
            continue
        try:
            # mmengine's own reading of a base: relative, or pkg::name
            base_path, _ = Config._get_cfg_path(base, path)
        except Exception as err:  # an unknown package scope, for one
            return f'config {path}: _base_ {base!r}: {err}'
        if base_path is None or not base_path.endswith('.py'):
            continue
        if not osp.isfile(base_path):
            return (
                f'config {path}: _base_ {base!r} not found (looked for '
                f'{osp.normpath(base_path)}){_closest_files(base_path, path)}')
        problem = find_config_problem(base_path, seen)
        if problem:
            return problem
    return None


def read_config(path: str) -> Config:
    """``Config.fromfile(path)``, its errors as one-line
    :class:`ConfigError`\\ s naming the file of the chain at fault.

    Raises:
        ConfigError: a config or base that is missing, not Python, or
            fails as it runs.
    """
    try:
        return Config.fromfile(path)
    except (SyntaxError, FileNotFoundError, OSError) as err:
        problem = find_config_problem(path)
        raise ConfigError(problem or f'config {path}: {err}') from None
    except Exception as err:
        # a config is Python: a name it misspells fails as it runs
        problem = find_config_problem(path)
        raise ConfigError(
            problem or f'config {path} (or one of its bases) '
            f'fails as it runs: {type(err).__name__}: {err}') from None
