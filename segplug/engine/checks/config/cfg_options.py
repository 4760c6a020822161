"""``--cfg-options KEY=VALUE``, read against the value the config has.

mmengine's ``DictAction`` guesses a value's type from its text alone: a
comma makes a list (``load_from=/data/a,b.pth`` becomes two paths), spaces
and quotes are dropped, and ``train_cfg.max_iters=abc`` stays a string
that fails hours later, or at once with a traceback. Here the command line
keeps the text (:class:`RawOption`) and :func:`parse_cfg_options` reads
it as the type of the value it replaces: a string stays the text as
given, a number must be one, a bool ``true``/``false``; lists, tuples,
keys the config lacks and ``None`` values read as ``DictAction`` reads
them, except that a path (text with a ``/`` and no brackets) stays text.
``None`` sets any key to ``None``.
"""
import argparse
import ast
from typing import Any, Dict, Optional

from mmengine.config import Config, DictAction

from ...errors import ConfigError


class RawOption(str):
    """A ``--cfg-options`` value as typed, to be read against the config."""


class RawCfgOptions(argparse.Action):
    """``KEY=VALUE ...`` into ``{key: RawOption(value)}``; a pair without
    ``=`` is a usage error."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        for pair in values or ():
            key, sep, value = pair.partition('=')
            if not sep or not key:
                parser.error(f'{option_string}: expected KEY=VALUE, got '
                             f'{pair!r}')
            options[key] = RawOption(value)
        setattr(namespace, self.dest, options)


_MISSING = object()


def _existing(cfg: Config, key: str) -> Any:
    """The value at the dotted ``key`` (list items by index), or
    ``_MISSING``."""
    node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for part in key.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (isinstance(node, (list, tuple)) and part.isdigit()
              and int(part) < len(node)):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '\'"':
        return text[1:-1]
    return text


def _parse_free(key: str, text: str) -> Any:
    """A Python literal where the text is one (a dict, a list of strings
    in quotes), else ``DictAction``'s reading; its failures as one line."""
    if text[:1] in '{[(':
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
    try:
        return DictAction._parse_iterable(text)
    except AssertionError:
        raise ConfigError(f'--cfg-options {key}={text}: unbalanced brackets; '
                          'write lists as [a,b] or a,b') from None
    except RecursionError:
        raise ConfigError(f'--cfg-options {key}={text}: cannot be read; '
                          'write a Python literal ({"a": 1}, [1, 2]) or '
                          'a,b') from None


def _parse_one(key: str, text: str, old: Any) -> Any:
    if text == 'None':
        return None
    # bool before int: True is an int too
    if isinstance(old, bool):
        if text.lower() in ('true', 'false'):
            return text.lower() == 'true'
        expected = 'true or false'
    elif isinstance(old, int):
        try:
            return int(text)
        except ValueError:
            expected = 'an int'
    elif isinstance(old, float):
        try:
            return float(text)
        except ValueError:
            expected = 'a number'
    elif isinstance(old, str):
        return _unquote(text)
    elif (old is None
          or old is _MISSING) and '/' in text and not any(c in text
                                                          for c in '[]()'):
        return _unquote(text)
    else:
        return _parse_free(key, text)
    raise ConfigError(f'--cfg-options {key}={text}: expected {expected}, as '
                      f'the config has ({old!r}); got {text!r}')


def parse_cfg_options(cfg: Config,
                      options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """``options`` with each :class:`RawOption` read against ``cfg``'s
    value at its key; other values (from Python) as they are.

    Raises:
        ConfigError: a value that cannot be the type of the one it
            replaces, or unbalanced brackets.
    """
    parsed: Dict[str, Any] = {}
    for key, value in (options or {}).items():
        if isinstance(value, RawOption):
            value = _parse_one(key, str(value), _existing(cfg, key))
        parsed[key] = value
    return parsed
