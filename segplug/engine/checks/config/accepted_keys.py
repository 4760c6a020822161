"""Which config keys a registered part accepts, where a ``type`` name
resolves, and how to say it does not: what
:mod:`segplug.engine.checks.config.check` reads.

A part accepts the parameters of its ``__init__``. An ``__init__`` taking
``**kwargs`` that passes them on to ``super().__init__`` adds the
parameters of the next ``__init__`` up the MRO; one that keeps them for
itself (e.g. mmcv's ``RandomResize``) accepts anything.
"""
import difflib
import importlib
import importlib.util
import inspect
import re
from functools import lru_cache
from typing import Any, FrozenSet, List, Optional, Sequence

import torch.nn as nn
from mmengine.registry import Registry

# Bases whose __init__ takes no config key: nn.Module's takes **kwargs only
# to raise on them
_CLOSED = (object, nn.Module)
# super(Class, self).__init__( or super().__init__( or Base.__init__(
_INIT_CALL = re.compile(r'(?:super\(\s*(\w*)[^)]*\))?\.__init__\s*\(')

# Classes whose **kwargs go somewhere known, by qualified name: the keys
# that adds. CheckpointHook hands them to Runner.save_checkpoint, whose
# parameters the hook already passes itself; IoUMetric and mmdet's box
# coders drop them, so a misspelt key there would be silently ignored
# (IoUMetric's keep_results is CityscapesMetric's, which the test tools
# of mmseg and segplug set on any metric).
_KNOWN_FORWARDS = {
    'mmengine.hooks.checkpoint_hook.CheckpointHook': frozenset(),
    'mmseg.evaluation.metrics.iou_metric.IoUMetric':
    frozenset({'keep_results'}),
    'mmdet.models.task_modules.coders.base_bbox_coder.BaseBBoxCoder':
    frozenset(),
}


def _named_params(func) -> Optional[tuple]:
    """(keyword parameter names, name of ``**kwargs`` or None) of ``func``;
    None where the signature cannot be read."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    names = [
        p.name for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    var_kw = [p.name for p in params if p.kind == p.VAR_KEYWORD]
    return names, (var_kw[0] if var_kw else None)


def _call_args(source: str, start: int) -> str:
    """The text between the parenthesis opened before ``start`` and the
    one that closes it."""
    depth = 1
    for i in range(start, len(source)):
        depth += {'(': 1, ')': -1}.get(source[i], 0)
        if depth == 0:
            return source[start:i]
    return source[start:]


def _forwarded_to(init, name: str) -> Optional[str]:
    """Where ``init`` passes ``**name`` on: the class named in its
    ``super(Class, self).__init__`` call, '' for ``super().__init__`` (or
    a base's ``__init__`` called directly), None for nowhere."""
    try:
        source = inspect.getsource(inspect.unwrap(init))
    except (OSError, TypeError):
        return None
    pattern = re.compile(r'\*\*\s*' + re.escape(name) + r'\b')
    for call in _INIT_CALL.finditer(source):
        if pattern.search(_call_args(source, call.end())):
            return call.group(1) or ''
    return None


@lru_cache(maxsize=None)
def accepted_keys(obj: Any) -> Optional[FrozenSet[str]]:
    """The config keys class (or function) ``obj`` accepts, or None where
    it accepts any (``**kwargs`` whose use cannot be followed).

    Args:
        obj (type or callable): What a ``type`` resolved to.
    """
    if not inspect.isclass(obj):
        found = _named_params(obj)
        return None if found is None or found[1] else frozenset(found[0])
    keys: set = set()
    mro = obj.__mro__
    names = [klass.__name__ for klass in mro]
    i = 0
    while i < len(mro):
        klass, i = mro[i], i + 1
        init = vars(klass).get('__init__')
        if init is None:
            continue
        if klass in _CLOSED:
            break
        found = _named_params(init)
        if found is None:
            return None
        keys.update(found[0][1:])  # drop self
        if found[1] is None:
            break
        known = _KNOWN_FORWARDS.get(f'{klass.__module__}.{klass.__qualname__}')
        if known is not None:
            keys.update(known)
            break
        target = _forwarded_to(init, found[1])
        if target is None:
            return None
        # super(Base, self) skips to after Base; super(ItsOwnName, self)
        # is plain super() (mmdet's LoadAnnotations shares mmcv's name)
        if target != klass.__name__ and target in names[i:]:
            i = names.index(target, i) + 1
    return frozenset(keys)


def scope_registry(kind: str, scope: Optional[str]) -> Registry:
    """Registry ``kind`` (e.g. 'MODELS') of package ``scope`` ('mmseg',
    'mmdet'): a child of mmengine's, which stands in for unknown scopes."""
    if scope and scope != 'mmengine':
        try:
            return getattr(importlib.import_module(f'{scope}.registry'), kind)
        except (ImportError, AttributeError):
            pass
    return getattr(importlib.import_module('mmengine.registry'), kind)


def resolve(type_: Any, registry: Registry) -> Any:
    """What ``type_`` builds in ``registry`` (scope prefixes such as
    'mmdet.ResNet' honoured; a class stands for itself), or None."""
    if not isinstance(type_, str):
        return type_
    try:
        return registry.get(type_)
    except Exception:  # mmengine raises on names it cannot import
        return None


def _registered_names(registry: Registry) -> List[str]:
    """Every name ``registry`` resolves without a scope prefix."""
    names: List[str] = []
    while registry is not None:
        names += registry.module_dict
        registry = registry.parent
    return names


def _closest(name: str, names: Sequence[str], n: int = 3) -> List[str]:
    """Up to ``n`` of ``names`` closest to ``name``, case ignored."""
    by_lower = {}
    for candidate in names:
        by_lower.setdefault(candidate.lower(), candidate)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=n)
    return [by_lower[m] for m in matches]


def no_argument(obj: Any, key: str, accepted: FrozenSet[str]) -> str:
    """Says that ``obj`` takes no ``key`` and which key is nearest."""
    near = _closest(key, sorted(accepted), n=1)
    hint = (f"did you mean '{near[0]}'?" if near else 'it takes ' +
            (', '.join(sorted(accepted)) or 'no arguments'))
    name = getattr(obj, '__name__', str(obj))
    return f"{name} has no argument '{key}'; {hint}"


def not_registered(type_: Any, kinds: Sequence[str],
                   scope: Optional[str]) -> str:
    """Says that registries ``kinds`` of ``scope`` lack ``type_`` and
    which registered names are nearest (a scope prefix is kept)."""
    prefix, name = Registry.split_scope_key(str(type_))
    if prefix and importlib.util.find_spec(prefix) is None:
        return f"'{type_}' needs package {prefix}, which is not installed"
    scope = prefix or scope or 'mmengine'
    names = [
        n for kind in kinds
        for n in _registered_names(scope_registry(kind, scope))
    ]
    near = [f'{prefix}.{n}' if prefix else n for n in _closest(name, names)]
    hint = ('closest: ' + ', '.join(f"'{n}'" for n in near)
            if near else 'is the module that registers it in custom_imports?')
    return (f"'{type_}' is not registered in {scope}'s "
            f"{' or '.join(kinds)}; {hint}")
