"""Reading the scalars mmengine logs during a run: ``vis_data/scalars.json``
under ``<work_dir>/<timestamp>/``, one JSON object per line.

Training lines hold ``loss``, ``lr``, ``iter`` (``epoch`` in epoch-based
runs) and ``step``, the global iteration; validation lines hold metrics
(``mIoU``, ``aAcc``, ``coco/bbox_mAP``...) and ``step``, the iteration or
the epoch they were measured at.
"""
import glob
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from segplug.engine.errors import ConfigError, DataError, DataNotFoundError

# Bookkeeping, not curves
_NOT_SCALARS = ('step', 'iter', 'epoch', 'data_time', 'time', 'memory')
# COCO's AP at one IoU or object size: drawn only when asked for by name
_COCO_DETAIL = re.compile(r'_mAP_\w+$')
TRAIN_DEFAULT_KEYS = ('loss', 'lr')

Series = Tuple[List[float], List[float]]


@dataclass
class RunScalars:
    """The curves of one run: ``{key: (steps, values)}`` for training and
    for validation; ``val_by_epoch`` when validation steps are epochs."""
    name: str
    train: Dict[str, Series] = field(default_factory=dict)
    val: Dict[str, Series] = field(default_factory=dict)
    val_by_epoch: bool = False

    def series(self, key: str) -> Optional[Series]:
        """The (steps, values) of ``key``, None where this run lacks it."""
        return self.train.get(key) or self.val.get(key)

    def is_val(self, key: str) -> bool:
        return key in self.val and key not in self.train


def find_scalars_files(path: str) -> List[str]:
    """The ``scalars.json`` files of ``path`` (a work dir, a timestamp dir
    or the file itself) that make up its latest run, oldest first: the
    newest file and, when it resumed an earlier one, those it continues.

    Raises:
        DataNotFoundError: ``path`` holds no scalars.json.
    """
    if osp.isfile(path):
        return [path]
    files = glob.glob(osp.join(path, 'vis_data', 'scalars.json')) or glob.glob(
        osp.join(path, '*', 'vis_data', 'scalars.json'))
    if not files:
        where = 'no such file or folder' if not osp.exists(path) else (
            'expected <work_dir>/<timestamp>/vis_data/scalars.json, written '
            'by a training run with a LocalVisBackend')
        raise DataNotFoundError(f'no scalars.json in {path}: {where}')
    files.sort(key=osp.getmtime)
    chain = [files[-1]]
    for earlier in reversed(files[:-1]):
        if not _continues(chain[0], earlier):
            break
        chain.insert(0, earlier)
    return chain


def _first_train_step(path: str) -> float:
    lines = [line for line in read_scalars_lines(path) if _is_train(line)]
    return lines[0]['step'] if lines else float('inf')


def _continues(later: str, earlier: str) -> bool:
    """Whether ``later`` resumed ``earlier``: it starts past its start."""
    first = _first_train_step(later)
    return first != float('inf') and first > _first_train_step(earlier)


def read_scalars_lines(path: str) -> List[dict]:
    """The JSON objects of one scalars.json, lines that do not parse (a
    run killed mid-write) left out."""
    lines = []
    with open(path) as f:
        for text in f:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if isinstance(line, dict) and 'step' in line:
                lines.append(line)
    return lines


def _is_train(line: dict) -> bool:
    return 'iter' in line or 'epoch' in line


def group_scalars(name: str, runs: Sequence[List[dict]]) -> RunScalars:
    """The curves of the line lists ``runs`` (one per scalars.json, oldest
    first): a resumed part replaces the steps it repeats, from its first
    training step on for training lines, from its first validation step on
    for validation lines."""
    lines: List[dict] = []
    for part in runs:
        # training and validation steps count different things in
        # epoch-based runs (iterations, epochs): each kind is cut apart
        for kind in (True, False):
            steps = [x['step'] for x in part if _is_train(x) == kind]
            if steps:
                lines = [
                    x for x in lines
                    if _is_train(x) != kind or x['step'] < steps[0]
                ]
        lines += part
    scalars = RunScalars(name)
    for line in lines:
        target = scalars.train if _is_train(line) else scalars.val
        if 'epoch' in line and _is_train(line):
            scalars.val_by_epoch = True
        for key, value in line.items():
            if key in _NOT_SCALARS or not isinstance(value, (int, float)):
                continue
            steps, values = target.setdefault(key, ([], []))
            steps.append(line['step'])
            values.append(float(value))
    return scalars


def load_run(path: str, name: str) -> RunScalars:
    """The curves of the run at ``path`` (see :func:`find_scalars_files`).

    Raises:
        DataNotFoundError: no scalars.json there.
        DataError: it holds no scalars.
    """
    files = find_scalars_files(path)
    scalars = group_scalars(name, [read_scalars_lines(f) for f in files])
    if not scalars.train and not scalars.val:
        raise DataError(f'{files[-1]} holds no scalars: the run stopped '
                        'before its first logged iteration')
    return scalars


def select_keys(runs: Sequence[RunScalars],
                keys: Optional[Sequence[str]] = None) -> List[str]:
    """The keys to draw: ``keys``, else loss and lr and every validation
    metric (COCO's per-IoU and per-size APs only by name).

    Raises:
        ConfigError: one of ``keys`` is in no run.
    """
    found = []
    for run in runs:
        found += [k for k in (*run.train, *run.val) if k not in found]
    if keys:
        missing = [k for k in keys if k not in found]
        if missing:
            raise ConfigError(f'--keys {" ".join(missing)}: in no run; the '
                              f'runs have: {", ".join(found)}')
        return list(keys)
    train = [k for k in TRAIN_DEFAULT_KEYS if k in found]
    val = []
    for run in runs:
        val += [
            k for k in run.val if k not in val and not _COCO_DETAIL.search(k)
        ]
    return train + val
