"""Check a config's keys and types before anything is built.

mmengine builds each part only when a run first uses it, and some parts
take ``**kwargs`` they never use or hand on late (CheckpointHook passes
them to ``Runner.save_checkpoint`` at the first save), so a misspelt key
fails minutes into a run or not at all. This reads what every part
accepts from its signature and reports every key and ``type`` that
nothing accepts, and heads whose ``num_classes`` disagrees with the
dataset, in one line, before the Runner is made.
"""
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from ...errors import ConfigError
from .walk import ConfigWalk, listed

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# whose dataset sets the number of classes: the train one, else the test one
_CLASS_LOADERS = ('train_dataloader', 'test_dataloader')
# Heads whose num_classes is no dataset's: STDC's detail head predicts
# boundaries, Grounding DINO's counts text tokens
_OWN_CLASSES = ('STDCHead', 'GroundingDINOHead')
# mmdet's box and mask heads predict a panoptic dataset's things only
_INSTANCE_HEADS = ('bbox_head', 'mask_head')


def check_config(cfg, loaders: Iterable[str] = _CLASS_LOADERS) -> None:
    """Raise :class:`ConfigError` naming every key and ``type`` of ``cfg``
    that no part accepts and every head whose ``num_classes`` differs from
    the number of classes of the dataset a run reads.

    Args:
        cfg (Config): The merged config (after ``--cfg-options``).
        loaders (Iterable[str]): The loaders of the run; the first whose
            dataset states its classes sets the number of classes. Defaults
            to the train loader, else the test loader.
    """
    walk = ConfigWalk(cfg.get('default_scope'))
    walk.hooks(cfg)
    walk.optim_wrapper(cfg.get('optim_wrapper'))
    walk.schedulers(cfg.get('param_scheduler'), 'param_scheduler')
    walk.loops(cfg)
    for name in _LOADERS:
        walk.dataloader(cfg.get(name), name)
    for name in ('val_evaluator', 'test_evaluator'):
        walk.evaluator(cfg.get(name), name)
    walk.visualizer(cfg.get('visualizer'), cfg.get('vis_backends'))
    walk.model(cfg.get('model'), 'model')
    problems = walk.problems + _num_classes_problems(cfg, walk, loaders)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f'{len(problems)} config problems: ' +
                          '; '.join(f'({i}) {problem}'
                                    for i, problem in enumerate(problems, 1)))


def _first_leaf(dataset: dict, where: str) -> Tuple[dict, str]:
    """The dataset a wrapper's metainfo comes from: ConcatDataset's first,
    RepeatDataset's and ClassBalancedDataset's only one."""
    while True:
        if isinstance(dataset.get('datasets'), (list, tuple)):
            dataset, where = dataset['datasets'][0], f'{where}.datasets.0'
        elif isinstance(dataset.get('dataset'), dict):
            dataset, where = dataset['dataset'], f'{where}.dataset'
        else:
            return dataset, where


def _dataset_meta(cfg, walk: ConfigWalk,
                  loaders: Iterable[str]) -> Optional[tuple]:
    """(where, dataset class name, metainfo) of the first dataset of
    ``loaders`` that states its classes, else None; the config's metainfo
    updates the class's METAINFO, as mmengine's BaseDataset does."""
    for name in loaders:
        loader = cfg.get(name)
        if not (isinstance(loader, dict)
                and isinstance(loader.get('dataset'), dict)):
            continue
        leaf, where = _first_leaf(loader['dataset'], f'{name}.dataset')
        found = walk.lookup(leaf, ('DATASETS', ))
        meta = dict(getattr(found, 'METAINFO', None) or {})
        if isinstance(leaf.get('metainfo'), dict):
            meta.update(leaf['metainfo'])
        if meta.get('classes'):
            name = getattr(found, '__name__', str(leaf.get('type')))
            return where, name, meta
    return None


def _heads(model) -> Iterator[Tuple[Any, str, str]]:
    """mmseg's decode and auxiliary heads, mmdet's box and mask heads (a
    list for cascades), each with its key path and key."""
    where = 'model'
    if isinstance(model, dict) and isinstance(model.get('module'), dict):
        model, where = model['module'], 'model.module'  # a TTA model's
    if not isinstance(model, dict):
        return
    for key in ('decode_head', 'auxiliary_head', 'bbox_head'):
        for head, at in listed(model.get(key), f'{where}.{key}'):
            yield head, at, key
    roi_head = model.get('roi_head')
    if isinstance(roi_head, dict):
        for key in _INSTANCE_HEADS:
            for head, at in listed(
                    roi_head.get(key), f'{where}.roi_head.{key}'):
                yield head, at, key


def _binary(head: dict, num_classes: int) -> bool:
    """mmseg's binary heads: one sigmoid channel for two classes, which
    older configs state as ``num_classes=1``."""
    return (num_classes == 2 and head.get('num_classes') == 1
            and head.get('out_channels', 1) in (None, 1))


def _own_classes(head: dict, walk: ConfigWalk) -> bool:
    found = walk.lookup(head, ('MODELS', ))
    return any(
        klass.__name__ in _OWN_CLASSES
        for klass in getattr(found, '__mro__', ()))


def _num_classes_problems(cfg, walk: ConfigWalk,
                          loaders: Iterable[str]) -> List[str]:
    found = _dataset_meta(cfg, walk, loaders)
    if found is None:
        return []
    where, name, meta = found
    problems = []
    for head, at, key in _heads(cfg.get('model')):
        if not isinstance(head, dict) or _own_classes(head, walk):
            continue
        field = ('thing_classes' if key in _INSTANCE_HEADS
                 and meta.get('thing_classes') else 'classes')
        classes, num = tuple(meta[field]), head.get('num_classes')
        if not isinstance(num, int) or num == len(classes) or _binary(
                head, len(classes)):
            continue
        shown = ', '.join(map(
            str, classes[:2])) + (', ...' if len(classes) > 2 else '')
        problems.append(
            f'{at}.num_classes={num} but {where} ({name}) has '
            f"{len(classes)} {field.replace('_', ' ')} ({shown}); set "
            f'{at}.num_classes={len(classes)}')
    return problems
