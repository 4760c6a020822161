"""PASCAL VOC 2012 + SBD ("aug") preparation, as mmseg's recipe expects it.
"""
import os
import os.path as osp
from multiprocessing import Pool
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image

from ..utils.progress import progress
from .palette import voc_palette

VOC_TRAIN, VOC_VAL, TRAIN_AUG = 1464, 1449, 10582
NUM_VOC_CLASSES = 21


class VOCPrepareError(RuntimeError):
    """Input for the VOC + SBD preparation is missing or unreadable."""


def _read_list(path: str) -> List[str]:
    if not osp.isfile(path):
        raise VOCPrepareError(f'split list not found: {path}')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _write_list(path: str, names: List[str]) -> None:
    with open(path, 'w') as f:
        f.write(''.join(n + '\n' for n in names))


def sbd_mat_to_label(path: str) -> np.ndarray:
    """The class label map of one SBD ``cls/*.mat`` file (uint8, HxW)."""
    from scipy.io import loadmat
    seg = loadmat(path)['GTcls'][0]['Segmentation'][0]
    return np.asarray(seg, dtype=np.uint8)


def _convert(args: Tuple[str, str]) -> Optional[str]:
    """Write one PNG; return an error line or None."""
    mat_path, png_path = args
    if osp.exists(png_path):
        return None
    try:
        label = sbd_mat_to_label(mat_path)
    except Exception as err:  # corrupt or foreign .mat: report, go on
        return f'{mat_path}: unreadable ({type(err).__name__}: {err})'
    bad = np.setdiff1d(np.unique(label), np.arange(NUM_VOC_CLASSES))
    if bad.size:
        return f'{mat_path}: labels out of range 0..20: {bad.tolist()}'
    png = Image.fromarray(label, mode='P')
    png.putpalette(voc_palette())
    png.save(png_path)
    return None


def prepare_voc_aug(devkit: str, sbd: str, nproc: int = 2) -> str:
    """Convert SBD to ``VOC2012/SegmentationClassAug`` and write ``aug.txt``
    and ``trainaug.txt``. Returns a report of counts and of whatever differs
    from the standard 10,582-image recipe."""
    voc = osp.join(devkit, 'VOC2012')
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    cls_dir = osp.join(sbd, 'dataset', 'cls')
    for path in (osp.join(voc, 'JPEGImages'), cls_dir):
        if not osp.isdir(path):
            raise VOCPrepareError(f'folder not found: {path}')
    voc_train = _read_list(osp.join(sets, 'train.txt'))
    voc_val = _read_list(osp.join(sets, 'val.txt'))
    sbd_all = (
        _read_list(osp.join(sbd, 'dataset', 'train.txt')) +
        _read_list(osp.join(sbd, 'dataset', 'val.txt')))
    excluded = set(voc_train) | set(voc_val)
    aug = sorted(set(sbd_all) - excluded)

    out_dir = osp.join(voc, 'SegmentationClassAug')
    os.makedirs(out_dir, exist_ok=True)
    jobs = [(osp.join(cls_dir, n + '.mat'), osp.join(out_dir, n + '.png'))
            for n in aug]
    with Pool(max(1, nproc)) as pool:
        converted = progress(
            pool.imap(_convert, jobs, chunksize=64),
            total=len(jobs),
            desc=f'SBD: converting {len(jobs)} labels')
        problems = [p for p in converted if p]
    missing = [
        n for n in aug
        if not osp.isfile(osp.join(voc, 'JPEGImages', n + '.jpg'))
    ]
    failed = {
        osp.splitext(osp.basename(p.split(':')[0]))[0]
        for p in problems
    } | set(missing)
    aug = [n for n in aug if n not in failed]
    _write_list(osp.join(sets, 'aug.txt'), aug)
    _write_list(osp.join(sets, 'trainaug.txt'), sorted(voc_train + aug))
    return _report(voc_train, voc_val, aug, problems, missing)


def _report(voc_train, voc_val, aug, problems, missing) -> str:
    total = len(voc_train) + len(aug)
    lines = [
        f'VOC train {len(voc_train)}, val {len(voc_val)}, SBD aug '
        f'{len(aug)}: {total} training images (train.txt + aug.txt)'
    ]
    if (len(voc_train), len(voc_val), total) != (VOC_TRAIN, VOC_VAL,
                                                 TRAIN_AUG):
        lines.append(
            f'differs from the standard recipe: expected VOC train '
            f'{VOC_TRAIN}, val {VOC_VAL} and {TRAIN_AUG} training images')
    if missing:
        lines.append(f'{len(missing)} SBD images have no VOC JPEG and were '
                     f'left out, e.g. {missing[:5]}')
    lines += [f'left out: {p}' for p in problems]
    return '\n'.join(lines)
