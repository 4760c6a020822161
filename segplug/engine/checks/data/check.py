"""Check that a config's data is on disk before a run starts.

mmseg's and mmdet's datasets fail on missing files with a bare assertion
or deep inside a worker; this names the missing path and how to get it.
"""
import os
import os.path as osp
import warnings
from typing import Iterable, Iterator, Optional, Tuple

from ...errors import ConfigError, DataError, DataNotFoundError
from .samples import DataCheckSummary, check_samples

_MODES = ('error', 'warn', 'off')

_HINTS = {
    'PascalVOCDataset':
    'prepare PASCAL VOC 2012 + SBD with `segplug prepare-voc` '
    '(README: "Training on PASCAL VOC")',
    'ShapesDataset':
    'generate it with `segplug make-shapes --out {data_root}`',
    'CocoDataset':
    'place COCO 2017 (annotations/, train2017/, val2017/) under {data_root}',
}
_HINTS['CheckedCocoDataset'] = (
    'for COCO, ' + _HINTS['CocoDataset'] + '; for the shapes data, generate '
    'it with `segplug make-shapes --out {data_root}`')


def leaf_dataset_cfgs(cfg) -> Iterator[dict]:
    """Leaf dataset configs under a dataset config (through wrappers)."""
    if 'datasets' in cfg:
        for sub in cfg['datasets']:
            yield from leaf_dataset_cfgs(sub)
    elif 'dataset' in cfg:
        yield from leaf_dataset_cfgs(cfg['dataset'])
    else:
        yield cfg


def _paths(ds: dict) -> Iterator[Tuple[str, str]]:
    root = ds.get('data_root') or ''
    if root:
        yield 'data_root', root
    if ds.get('ann_file'):
        yield 'ann_file', osp.join(root, ds['ann_file'])
    for key, sub in (ds.get('data_prefix') or {}).items():
        if sub:
            yield f'data_prefix.{key}', osp.join(root, sub)


def check_data(cfg, loaders: Iterable[str]) -> Optional[DataCheckSummary]:
    """Check the data the datasets of ``cfg.<loader>`` read, for each
    loader name given (e.g. 'train_dataloader'); loaders absent from the
    config are skipped.

    First the paths: :class:`DataNotFoundError` for the first missing one.
    Then, unless the config's ``data_check`` is 'off', every sample
    (:func:`.sample_check.check_samples`): its problems are one
    :class:`DataError` ('error', the default) or, with 'warn', the bad
    samples are left out of the run.

    Returns:
        DataCheckSummary: What was checked; None with ``data_check='off'``.
    """
    mode = cfg.get('data_check', 'error')
    if mode not in _MODES:
        raise ConfigError(f"data_check: expected 'error', 'warn' or 'off', "
                          f'got {mode!r}')
    loaders = [loader for loader in loaders if cfg.get(loader)]
    for loader in loaders:
        _check_paths(cfg, loader)
        _check_ground_truth_file(cfg, loader)
    if mode == 'off':
        return None
    return check_samples(cfg,
                         [(loader, ds) for loader in loaders
                          for ds in leaf_dataset_cfgs(cfg[loader]['dataset'])],
                         mode)


def _check_paths(cfg, loader: str) -> None:
    for ds in leaf_dataset_cfgs(cfg[loader]['dataset']):
        for what, path in _paths(ds):
            if not osp.exists(path):
                hint = _HINTS.get(
                    str(ds.get('type')), 'see the README for data preparation')
                hint = hint.format(data_root=ds.get('data_root', 'data'))
                raise DataNotFoundError(f'{loader}: {what} not found: {path}; '
                                        f'{not_found_cause(path) or hint}')
            if what == 'ann_file' and not path.endswith('.json'):
                _check_split_encoding(loader, path)


def not_found_cause(path: str) -> Optional[str]:
    """Why ``path`` is not there when the reason is not the plain one: a
    ``~`` that nothing expands, or a symbolic link to nowhere."""
    if path.startswith('~'):
        return (f"'~' is not expanded in a config: write "
                f'{osp.expanduser(path)}')
    if osp.islink(path):
        return (f'it is a symbolic link to {os.readlink(path)}, which does '
                'not exist; fix the link')
    return None


# byte-order marks: the dataset reads a split file as UTF-8 and would take
# a mark as part of the first id, or UTF-16 as ids with NUL bytes
_BOMS = ((b'\xef\xbb\xbf', 'starts with a UTF-8 byte-order mark'),
         (b'\xff\xfe', 'is UTF-16 text'), (b'\xfe\xff', 'is UTF-16 text'))


def _check_split_encoding(loader: str, path: str) -> None:
    """A split file the dataset reads as UTF-8 lines: a byte-order mark
    or UTF-16 text would make ids that look right in a message and match
    no file."""
    try:
        with open(path, 'rb') as f:
            head = f.read(4096)
    except OSError:
        return  # a folder, or unreadable: the dataset's own error
    problem = next((what for mark, what in _BOMS if head.startswith(mark)),
                   None)
    if problem is None and b'\x00' in head:
        problem = 'holds NUL bytes (UTF-16 text without a byte-order mark?)'
    if problem:
        raise DataError(f'{loader}: ann_file {path} {problem}; save it as '
                        'UTF-8 without a byte-order mark, one id a line')


def _check_ground_truth_file(cfg, loader: str) -> None:
    """Warn when a metric reads its ground truth from an annotation file
    (CocoMetric's ann_file) other than the one the loader's dataset reads:
    e.g. after ``--cfg-options val_dataloader.dataset.data_root=...``, the
    metric would score the predictions against the old data."""
    evaluators = cfg.get(loader.replace('_dataloader', '_evaluator'))
    if not evaluators:
        return
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    datasets = list(leaf_dataset_cfgs(cfg[loader]['dataset']))
    if len(datasets) != 1 or not datasets[0].get('ann_file'):
        return
    ds = datasets[0]
    ann_file = osp.normpath(
        osp.join(ds.get('data_root') or '', ds['ann_file']))
    for evaluator in evaluators:
        gt = evaluator.get('ann_file')
        if gt and osp.normpath(gt) != ann_file:
            warnings.warn(
                f"{loader.replace('_dataloader', '_evaluator')}.ann_file is "
                f'{gt} but the dataset reads {ann_file}: the metric scores '
                'the predictions against the former',
                stacklevel=2)
