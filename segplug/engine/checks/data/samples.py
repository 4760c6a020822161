"""Check every sample a run will read, before its first iteration: each
image and label exists and decodes, labels are one channel of class
indices the model accepts, of their image's size (:mod:`.data_verdict`).

All problems are reported at once, as one :class:`DataError`, or, in
'warn' mode, the bad samples are left out of the run through their
dataset's ``indices``.
"""
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from ...errors import DataError
from . import label_statistics, report
from .batches import check_batches
from .file_facts import file_facts
from .sample_list import LeafSamples, Problem, label_rules, leaf_samples
from .sample_problems import sample_problems


@dataclass
class DataCheckSummary:
    """What a data check read: ``samples``, distinct ``files``, how many
    of them were ``decoded`` (the others came from the cache), ``seconds``
    and the samples ``left_out`` in 'warn' mode."""
    samples: int
    files: int
    decoded: int
    seconds: float
    left_out: int = 0
    frequencies: str = ''

    def __str__(self) -> str:
        cached = 100 * (self.files - self.decoded) / max(self.files, 1)
        verdict = (f'{self.left_out} left out'
                   if self.left_out else 'no problems')
        return (f'data check: {self.samples} samples, {self.files} files '
                f'({cached:.0f}% from the cache) in {self.seconds:.2f} s: '
                f'{verdict}')


def _facts(leaves: List[LeafSamples]) -> Tuple[Dict, int]:
    """The facts of all files of ``leaves``, one cache per data folder."""
    by_folder = defaultdict(list)
    for leaf in leaves:
        by_folder[leaf.folder].extend(leaf.files())
    facts, decoded = {}, 0
    for folder, keys in by_folder.items():
        found, count = file_facts(keys, folder)
        facts.update(found)
        decoded += count
    return facts, decoded


def _message(leaves: List[LeafSamples], per_sample: List[list],
             problems: List[Problem], rules) -> str:
    total = sum(len(leaf.infos) for leaf in leaves)
    bad = Counter(leaf.loader for leaf, found in zip(leaves, per_sample)
                  for sample in found if sample)
    count = f'{len(problems)} problem' + 's' * (len(problems) != 1)
    where = (f'in {sum(bad.values())} of {total} samples '
             f'({report.loader_counts(bad)})' if bad else f'({total} samples)')
    return (f'data check: {count} {where}: '
            f'{report.summary(problems, rules)}')


def check_samples(cfg, datasets: Sequence[Tuple[str, dict]],
                  mode: str) -> DataCheckSummary:
    """Check the samples of the leaf dataset configs ``datasets`` (with
    the name of their loader); raise or, in 'warn' mode, leave out the bad
    ones. Lists go to ``cfg.work_dir``."""
    start = time.perf_counter()
    scope = cfg.get('default_scope')
    leaves = [
        leaf for leaf in (leaf_samples(loader, ds, scope)
                          for loader, ds in datasets) if leaf
    ]
    facts, decoded = _facts(leaves)
    rules = label_rules(cfg)
    per_sample = [[
        sample_problems(leaf, info, facts, rules) for info in leaf.infos
    ] for leaf in leaves]
    summary = DataCheckSummary(
        sum(len(leaf.infos) for leaf in leaves), len(facts), decoded,
        time.perf_counter() - start)
    problems = [p for leaf in per_sample for found in leaf for p in found]
    empty = [
        Problem(leaf.loader, 'split:empty', leaf.name, _why_empty(leaf))
        for leaf in leaves if not leaf.infos
    ]
    work_dir = cfg.get('work_dir')
    if not problems and not empty:
        report.remove_stale(work_dir)
        _label_check(cfg, leaves, facts, rules, summary)
        return summary
    message = _message(leaves, per_sample, empty + problems, rules)
    # a finding may be the cause of the problems (JPEG labels, of values
    # out of range)
    also = label_statistics.findings(cfg, leaves, facts, rules)
    if also:
        message = f'{message}; {label_statistics.as_text(also)}'
    if mode == 'warn' and not empty:
        summary.left_out = _leave_out(leaves, per_sample, work_dir, message)
        _label_check(cfg, leaves, facts, rules, summary)
        return summary
    listed = report.write_lines(work_dir, report.REPORT,
                                report.problem_lines(empty + problems))
    where = f'; full list in {listed}' if listed else ''
    raise DataError(f'{message}{where}; fix or remove these files, or leave '
                    'these samples out with --cfg-options data_check=warn')


def _why_empty(leaf: LeafSamples) -> str:
    """For a COCO file that has images, the likely reason no sample is
    left: none of the config's classes is one of its categories."""
    import json
    if not str(leaf.name).endswith('.json'):
        return ''
    try:
        with open(leaf.name) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return ''
    names = [c.get('name') for c in data.get('categories') or []]
    if not data.get('images') or not leaf.classes or set(
            leaf.classes) & set(names):
        return ''
    return (f'it has {len(data["images"])} images, but none of the '
            f'classes {", ".join(leaf.classes[:4])} is one of its categories '
            f'({", ".join(map(str, names[:4]))}); set metainfo.classes to '
            "the file's category names")


def _label_check(cfg, leaves: List[LeafSamples], facts: Dict, rules,
                 summary: 'DataCheckSummary') -> None:
    """The train labels' class frequencies into ``summary`` (and printed),
    then the checks of :mod:`.label_statistics`."""
    pixels = label_statistics.class_pixels(leaves, facts, 'train_dataloader')
    if pixels:
        summary.frequencies = label_statistics.frequencies(
            pixels, rules, label_statistics.train_classes(leaves))
        # before the Runner and its logger: the process's own output
        print(f'train labels: {summary.frequencies}', flush=True)
    label_statistics.check_labels(cfg, leaves, facts, rules)
    check_batches(cfg, leaves, facts, cfg.get('default_scope'))


def _leave_out(leaves: List[LeafSamples], per_sample: List[list], work_dir,
               message: str) -> int:
    """Set each leaf dataset's ``indices`` to its good samples; write the
    left-out ones to the work dir and warn once."""
    lines = []
    for leaf, found in zip(leaves, per_sample):
        keep = [i for i, problems in zip(leaf.indices, found) if not problems]
        if not keep:
            raise DataError(f'{message}; no sample of {leaf.loader} '
                            f'({leaf.name}) is left to use')
        if len(keep) < len(leaf.indices):
            leaf.cfg['indices'] = keep
        lines += [
            f'{leaf.loader}\t{info["img_path"]}\t' +
            ','.join(sorted({p.kind
                             for p in problems}))
            for info, problems in zip(leaf.infos, found) if problems
        ]
    listed = report.write_lines(work_dir, report.EXCLUDED, lines)
    where = f'; the list is in {listed}' if listed else ''
    warnings.warn(
        f'{message}; these {len(lines)} samples are left out '
        f'(data_check=warn){where}',
        stacklevel=3)
    return len(lines)
