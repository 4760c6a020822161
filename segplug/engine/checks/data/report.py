"""The data check's problems as one line: grouped by kind, the first few
files of each by name, then counts; the full list goes to a file."""
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Optional

from .sample_list import LabelRules, Problem

_SHOWN = 3
REPORT = 'data_check.txt'
EXCLUDED = 'data_check_excluded.txt'
_KINDS = {
    'split:empty':
    'split file lists no samples',
    'image:missing':
    'image not found',
    'image:empty':
    'image file is empty (0 bytes)',
    'image:undecodable':
    'image does not decode',
    'image:corrupt':
    'corrupt JPEG data (it decodes with grey or smeared '
    'blocks)',
    'image:size':
    "image size differs from the annotation file's width "
    'and height',
    'label:missing':
    'label not found',
    'label:empty':
    'label file is empty (0 bytes)',
    'label:undecodable':
    'label does not decode',
    'label:colour':
    'colour label, not class indices (map each palette '
    'colour to its class index and save one channel, mode P or L: '
    '`segplug convert-color-labels CONFIG`)',
    'label:channels':
    'label is not one channel of integer class indices',
    'label:wide':
    'label values above 255 (mmseg reads labels as 8 bits, so '
    'they would become other classes)',
    'label:size':
    'label size differs from its image',
    'label:values':
    'label values outside [0, {n}) that are not the ignore '
    'index {ignore} ({where}={n})',
}


def kind_text(kind: str, rules: Optional[LabelRules]) -> str:
    text = _KINDS[kind]
    if rules is not None:
        text = text.format(
            n=rules.num_classes, ignore=rules.ignore_index, where=rules.where)
    return text


def _item(problem: Problem) -> str:
    return (f'{problem.path} ({problem.detail})'
            if problem.detail else problem.path)


def summary(problems: List[Problem], rules: Optional[LabelRules]) -> str:
    """'<kind> (<count>): <file>, <file>, <file> ... (<count> in all); ...'
    in the order of ``_KINDS``."""
    by_kind: Dict[str, Dict[tuple, Problem]] = defaultdict(dict)
    for problem in problems:
        # one file read by two loaders is one item
        by_kind[problem.kind].setdefault((problem.path, problem.detail),
                                         problem)
    groups = []
    for kind in sorted(by_kind, key=list(_KINDS).index):
        items = list(by_kind[kind].values())
        shown = ', '.join(_item(p) for p in items[:_SHOWN])
        more = f' ... ({len(items)} in all)' if len(items) > _SHOWN else ''
        groups.append(f'{kind_text(kind, rules)} ({len(items)}): '
                      f'{shown}{more}')
    return '; '.join(groups)


def loader_counts(bad_samples: Counter) -> str:
    """'train_dataloader 2, val_dataloader 1'"""
    return ', '.join(f'{loader} {n}' for loader, n in bad_samples.items())


def write_lines(work_dir: Optional[str], name: str,
                lines: List[str]) -> Optional[str]:
    """Write ``lines`` to ``work_dir/name``; its path, or None without a
    work dir."""
    if not work_dir:
        return None
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, name)
    with open(path, 'w') as f:
        f.write(''.join(line + '\n' for line in lines))
    return path


def problem_lines(problems: List[Problem]) -> List[str]:
    """One tab-separated line per problem: loader, kind, file, detail."""
    return [f'{p.loader}\t{p.kind}\t{p.path}\t{p.detail}' for p in problems]


def remove_stale(work_dir: Optional[str]) -> None:
    """Remove the lists of an earlier check of ``work_dir``'s run, which
    would now mislead."""
    for name in (REPORT, EXCLUDED):
        path = osp.join(work_dir or '', name)
        if work_dir and osp.isfile(path):
            os.remove(path)
