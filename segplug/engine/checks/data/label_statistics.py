"""Labels that decode and pass the value check but are almost certainly
wrong, and the class frequencies of the train labels.

Each of these trains without an error and reports a score that means
nothing: binary masks stored as 0/255 where 255 is the ignore index (the
model learns background alone, and mIoU 100 is reported), labels that are
all one class, ``reduce_zero_label=True`` on labels whose 0 is the
background class, labels saved as JPEG (lossy: values blend at every
edge), val samples that are also train samples, ids listed twice,
images a folder dataset skips because their extension differs in case,
images whose EXIF orientation turns them without changing their size,
and labels resized with interpolation (a class that appears only between
two others).

``label_check`` (top-level config key) decides: 'error' (the default)
stops the run with one line, 'warn' warns and goes on, 'off' skips this.
"""
import os
import os.path as osp
import warnings
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

from ...errors import ConfigError, DataError
from .file_inspection import LABEL
from .sample_list import LabelRules, LeafSamples
from .sample_problems import _loaded_value

MODES = ('error', 'warn', 'off')
_SHOWN = 3


def _shown(items: Sequence[str]) -> str:
    more = f' and {len(items) - _SHOWN} more' if len(items) > _SHOWN else ''
    return ', '.join(items[:_SHOWN]) + more


def class_pixels(leaves: List[LeafSamples], facts: Dict,
                 loader: str) -> Optional[Counter]:
    """{class index or 'ignored': pixels} over the labels of ``loader``'s
    leaves, as the model will see them (after ``reduce_zero_label`` and
    ``label_map``); None without labels."""
    pixels: Counter = Counter()
    seen = False
    for leaf in leaves:
        if leaf.loader != loader or not leaf.labels:
            continue
        for info in leaf.infos:
            found = facts.get((LABEL, info.get('seg_map_path')))
            if not found or 'counts' not in found:
                continue
            seen = True
            for value, count in zip(found['values'], found['counts']):
                pixels[_loaded_value(value, info)] += count
    return pixels if seen else None


def _raw_values(leaves: List[LeafSamples], facts: Dict, loader: str) -> set:
    values = set()
    for leaf in leaves:
        if leaf.loader == loader and leaf.labels:
            for info in leaf.infos:
                found = facts.get((LABEL, info.get('seg_map_path'))) or {}
                values.update(found.get('values') or ())
    return values


def frequencies(pixels: Counter, rules: Optional[LabelRules],
                classes: Sequence[str]) -> str:
    """'circle 4.1%, ..., ignored 3.2% of N pixels', classes in order."""
    total = sum(pixels.values())
    ignore = rules.ignore_index if rules else 255
    parts = []
    for value in sorted(v for v in pixels if v != ignore):
        name = classes[value] if 0 <= value < len(classes) else str(value)
        parts.append(f'{name} {100 * pixels[value] / total:.1f}%')
    parts.append(f'ignored {100 * pixels.get(ignore, 0) / total:.1f}%')
    return f'{", ".join(parts)} of {total:,} pixels'


def _one_class(leaves, facts, rules, classes) -> List[str]:
    pixels = class_pixels(leaves, facts, 'train_dataloader')
    if not pixels or rules is None:
        return []
    used = [v for v, n in pixels.items() if v != rules.ignore_index and n]
    if len(used) > 1:
        return []
    raw = _raw_values(leaves, facts, 'train_dataloader')
    if raw <= {0, 255} and rules.ignore_index == 255 and 255 in raw:
        return [
            'train labels hold only 0 and 255, and 255 is the ignore index: '
            'binary masks stored as 0/255? The model would learn class 0 '
            'alone and score it perfectly; store the object as 1 (mask // '
            '255)'
        ]
    name = (
        classes[used[0]] if used and used[0] < len(classes) else
        (used[0] if used else 'none'))
    return [
        f'every train label pixel is class {name} or ignored: the model '
        'can learn nothing else; check the labels and num_classes'
    ]


def _zero_is_background(leaves) -> List[str]:
    found = []
    for leaf in leaves:
        reduce = leaf.infos and leaf.infos[0].get('reduce_zero_label')
        if (reduce and leaf.classes
                and leaf.classes[0].lower() in ('background', 'bg')):
            found.append(
                f'{leaf.loader}: reduce_zero_label=True ignores label 0 and '
                'shifts every class down by one, but the first class is '
                f"'{leaf.classes[0]}' (0 is a class here); set "
                'reduce_zero_label=False')
    return found


def _jpeg_labels(leaves) -> List[str]:
    found = []
    for leaf in leaves:
        jpegs = [
            info['seg_map_path'] for info in leaf.infos
            if leaf.labels and str(info.get(
                'seg_map_path', '')).lower().endswith(('.jpg', '.jpeg'))
        ]
        if jpegs:
            found.append(
                f'{leaf.loader}: {len(jpegs)} labels saved as JPEG ('
                f'{_shown(jpegs)}): lossy compression blends class values '
                'at every edge; save labels as PNG')
    return found


def _shared_and_repeated(leaves) -> List[str]:
    found = []
    by_loader = defaultdict(list)
    for leaf in leaves:
        paths = [osp.realpath(i['img_path']) for i in leaf.infos]
        twice = sorted(p for p, n in Counter(paths).items() if n > 1)
        if twice:
            found.append(
                f'{leaf.loader} ({leaf.name}) lists {len(twice)} samples '
                f'more than once ({_shown(twice)}): they weigh more in '
                'training or in the score; list each once')
        by_loader[leaf.loader] += paths
    train = set(by_loader.get('train_dataloader', ()))
    for loader in ('val_dataloader', 'test_dataloader'):
        shared = sorted(set(by_loader.get(loader, ())) & train)
        if shared:
            found.append(
                f'{loader}: {len(shared)} of its samples are train samples '
                f'too ({_shown(shared)}): the score would be measured on '
                'data the model trained on; split them apart')
    return found


# how many train labels the blend test reads (it decodes them), and the
# share of a value's pixels that must lie between two other classes
_BLEND_LABELS, _BLEND_SHARE = 32, 0.95


def _between(label, ignore: int) -> dict:
    """{value: (pixels, pixels lying between two other values)}: a pixel
    lies between where its left and right (or upper and lower) neighbours
    are two values other than its own, one below and one above it."""
    import numpy as np
    found = {}
    inner = label[1:-1, 1:-1].astype(np.int32)
    between = np.zeros(inner.shape, bool)
    for a, b in ((label[1:-1, :-2], label[1:-1,
                                          2:]), (label[:-2,
                                                       1:-1], label[2:,
                                                                    1:-1])):
        a, b = a.astype(np.int32), b.astype(np.int32)
        low, high = np.minimum(a, b), np.maximum(a, b)
        between |= (low < inner) & (inner < high) & (high != ignore)
    for value in np.unique(inner):
        if value == ignore:
            continue
        mask = inner == value
        found[int(value)] = (int(mask.sum()), int((mask & between).sum()))
    return found


def _blended(leaves, rules: Optional[LabelRules]) -> List[str]:
    """A class whose pixels all lie in one-pixel bands between two other
    classes, in the train labels: masks resized with interpolation (which
    makes the value between two classes at every edge between them)."""
    import numpy as np
    from PIL import Image
    ignore = rules.ignore_index if rules else 255
    paths = [
        i['seg_map_path'] for leaf in leaves
        if leaf.loader == 'train_dataloader' and leaf.labels
        for i in leaf.infos if i.get('seg_map_path')
    ][:_BLEND_LABELS]
    totals: Counter = Counter()
    bands: Counter = Counter()
    files: Counter = Counter()
    for path in paths:
        try:
            with Image.open(path) as img:
                label = np.array(img)
        except Exception:  # noqa: B902  the sample check names it
            continue
        if label.ndim != 2 or min(label.shape) < 3:
            continue
        for value, (pixels, between) in _between(label, ignore).items():
            totals[value] += pixels
            bands[value] += between
            files[value] += 1
    blended = sorted(v for v in totals
                     if files[v] >= 3 and bands[v] >= _BLEND_SHARE * totals[v])
    if not blended:
        return []
    return [
        f'train labels: the values {", ".join(map(str, blended))} appear '
        'only in one-pixel bands between two other classes, in '
        f'{max(files[v] for v in blended)} of {len(paths)} labels read: masks '
        'resized with interpolation? Resize labels with nearest-neighbour '
        'only'
    ]


def _case_skipped(leaves) -> List[str]:
    """Images a folder dataset (no split file) does not read because their
    extension differs in case from the one it reads."""
    found = []
    for leaf in leaves:
        if leaf.cfg.get('ann_file') or not leaf.infos:
            continue
        folder = osp.dirname(leaf.infos[0]['img_path'])
        suffix = osp.splitext(leaf.infos[0]['img_path'])[1]
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        other = sorted(
            osp.join(folder, n) for n in names if osp.splitext(n)[1] != suffix
            and osp.splitext(n)[1].lower() == suffix.lower())
        if other:
            found.append(
                f'{leaf.loader}: {len(other)} images in {folder} end in '
                f'{osp.splitext(other[0])[1]}, not {suffix}, and are not read '
                f'({_shown(other)}); rename them to {suffix}')
    return found


def _turned_images(leaves, facts) -> List[str]:
    """Images whose EXIF orientation turns them as they are read without
    changing their size (a mirror or 180 degrees, or a square image): a
    label drawn on the stored pixels passes the size check and no longer
    lines up. (A turn that changes the size is the sample check's size
    mismatch, or a label drawn on the turned image.)"""
    from .file_inspection import IMAGE
    found = []
    for leaf in leaves:
        if not leaf.labels:
            continue
        turned = []
        for info in leaf.infos:
            image = facts.get((IMAGE, info['img_path']), {})
            orientation, shape = image.get('orientation'), image.get('shape')
            if orientation and (orientation in (2, 3, 4) or
                                (shape and shape[0] == shape[1])):
                turned.append(info['img_path'])
        if turned:
            found.append(
                f'{leaf.loader}: {len(turned)} images carry an EXIF '
                f'orientation ({_shown(turned)}) that turns them as they are '
                'read without changing their size, so nothing shows whether '
                'their labels were drawn turned too; save them with the '
                'orientation applied (e.g. mogrify -auto-orient) and check '
                'their labels')
    return found


def train_classes(leaves: List[LeafSamples]) -> Sequence[str]:
    """The class names of the train loader's datasets (their metainfo)."""
    return next((leaf.classes for leaf in leaves
                 if leaf.loader == 'train_dataloader' and leaf.classes), ())


def _mode(cfg) -> str:
    mode = cfg.get('label_check', 'error')
    if mode not in MODES:
        raise ConfigError("label_check: expected 'error', 'warn' or 'off', "
                          f'got {mode!r}')
    return mode


def findings(cfg, leaves: List[LeafSamples], facts: Dict,
             rules: Optional[LabelRules]) -> List[str]:
    """What the module's checks find (nothing with ``label_check='off'``).

    Raises:
        ConfigError: an unknown ``label_check``.
    """
    if _mode(cfg) == 'off':
        return []
    return (_one_class(leaves, facts, rules, train_classes(leaves)) +
            _zero_is_background(leaves) + _jpeg_labels(leaves) +
            _shared_and_repeated(leaves) + _case_skipped(leaves) +
            _turned_images(leaves, facts) + _blended(leaves, rules))


def as_text(found: List[str]) -> str:
    """The findings as the one line's text, numbered where several."""
    return 'label check: ' + '; '.join(f'({i}) {f}' if len(found) > 1 else f
                                       for i, f in enumerate(found, 1))


def check_labels(cfg, leaves: List[LeafSamples], facts: Dict,
                 rules: Optional[LabelRules]) -> List[str]:
    """The findings of the module's checks; raises or warns as
    ``cfg.label_check`` says.

    Raises:
        DataError: with 'error', naming every finding in one line.
        ConfigError: an unknown ``label_check``.
    """
    found = findings(cfg, leaves, facts, rules)
    if not found:
        return []
    text = as_text(found)
    if _mode(cfg) == 'error':
        raise DataError(f'{text}; or go on with --cfg-options '
                        'label_check=warn')
    warnings.warn(text, stacklevel=2)
    return found
