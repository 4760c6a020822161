"""COCO instances with the annotation problems of real files reported.

mmdet's ``CocoDataset`` drops some bad annotations silently and lets others
through to fail or mislead later: a polygon of fewer than three points, a
box reaching outside the image, an image file that is not on disk. This
dataset handles each the same way every time and says so once per load,
naming the offending annotation or image ids, so a long run neither stops
nor trains on something other than what the file says without notice.
"""
import json
import os.path as osp
import warnings
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Set, Tuple

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from ..engine.checks.data.file_facts import file_facts
from ..engine.checks.data.file_inspection import IMAGE
from ..engine.errors import DataError

# ids listed in one warning before the rest are only counted
_MAX_IDS = 10
# why an image is left out, by the error of its file's facts
_LEFT_OUT = {
    'missing': 'file not found, image left out',
    'corrupt': 'corrupt JPEG data, image left out',
    '': 'file empty or does not decode, image left out',
}


def _polygon_area(coords: List[float]) -> float:
    """Shoelace area of a flat [x0, y0, x1, y1, ...] polygon."""
    # numpy: a Python loop costs 0.2 s per load of the shapes' 2,000 images
    xy = np.array(coords, dtype=np.float64)
    xs, ys = xy[0::2], xy[1::2]
    cross = (
        xs[:-1] @ ys[1:] - xs[1:] @ ys[:-1] + xs[-1] * ys[0] - xs[0] * ys[-1])
    return abs(float(cross)) / 2


def _valid_polygon(coords) -> bool:
    return (isinstance(coords, (list, tuple)) and len(coords) >= 6
            and len(coords) % 2 == 0 and _polygon_area(coords) > 0)


def _valid_box(box) -> bool:
    return (isinstance(box, (list, tuple)) and len(box) == 4
            and all(isinstance(v, (int, float)) for v in box))


def _polygons_box(polygons: List[List[float]]) -> List[float]:
    """[x, y, w, h] around the points of ``polygons``."""
    xs = [x for poly in polygons for x in poly[0::2]]
    ys = [y for poly in polygons for y in poly[1::2]]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def _json_error(path: str, err: json.JSONDecodeError) -> str:
    doc = err.doc
    unclosed = (
        doc.count('{') + doc.count('[') > doc.count('}') + doc.count(']'))
    cut = (': the file ends before its brackets close, cut short by a '
           'partial download or copy?' if unclosed else '')
    return (f'{path}: not valid JSON at line {err.lineno} column '
            f'{err.colno}: {err.msg}{cut}; fix or replace the file')


def _shown(ids: List[int]) -> str:
    more = f' ... ({len(ids)} in all)' if len(ids) > _MAX_IDS else ''
    return ', '.join(str(i) for i in ids[:_MAX_IDS]) + more


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` that repairs or drops bad annotations and
    warns with their ids:

    - an image whose file is missing, empty, does not decode or has
      corrupt JPEG data
      (:mod:`segplug.engine.checks.data.file_inspection`): left out
      (evaluation against the annotation file still counts its objects);
    - an object whose category_id is not in the file's categories:
      dropped;
    - a polygon with fewer than 3 points, an odd number of coordinates or
      zero area: the polygon is dropped; an object left with no polygon,
      or with an empty segmentation, or with an RLE mask whose size is
      not its image's, is dropped;
    - an object whose image_id the file does not list: reported (mmdet
      leaves it out);
    - an image listed twice: :class:`DataError`;
    - a box reaching outside the image: clipped to it; a box wholly
      outside, or of zero width, height or area: the object is dropped;
    - no box (or not 4 numbers): the box around its polygons, or, without
      polygons, the object is dropped;
    - an image with no usable object: kept for testing; for training,
      ``filter_cfg.filter_empty_gt`` decides as in mmdet;
    - an annotation file that is not valid JSON: :class:`DataError`
      naming its line and column.

    Arguments are those of ``CocoDataset``.
    """

    def load_data_list(self) -> List[dict]:
        # (kind of id, what happened) -> ids
        self._problems: Dict[Tuple[str, str], List[int]] = defaultdict(list)
        self._seen_ann_ids: Set[int] = set()
        self._repeated_ann_ids: List[int] = []
        self._category_ids: Optional[Set[int]] = None
        self._image_ids_checked = False
        try:
            data_list = super().load_data_list()
        except AssertionError:
            # mmdet's check that annotation ids are unique, which would not
            # say which: COCO's index keeps one object per id, so the others
            # would silently vanish from training and evaluation
            if self._repeated_ann_ids:
                raise DataError(
                    f'{self.ann_file}: annotation ids are not unique: '
                    f'{_shown(self._repeated_ann_ids)}') from None
            raise
        except json.JSONDecodeError as err:
            raise DataError(_json_error(self.ann_file, err)) from None
        kept = self._readable(data_list)
        for (kind, what), ids in self._problems.items():
            warnings.warn(
                f'{self.ann_file}: {what}: {kind} ids {_shown(ids)}',
                stacklevel=2)
        return kept

    def _check_image_ids(self) -> None:
        """Images listed twice (COCO's index keeps one of them, and the
        score counts the other's objects against it) are an error;
        objects of an image id the file does not list are reported, as
        they are left out."""
        raw = self.coco.dataset
        ids = [img.get('id') for img in raw.get('images') or []]
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise DataError(f'{self.ann_file}: images listed more than once: '
                            f'image ids {_shown(twice)}; list each once')
        known = set(ids)
        for ann in raw.get('annotations') or []:
            if ann.get('image_id') not in known:
                self._report('annotation',
                             'image_id not in the images, object left '
                             'out', ann.get('id'))

    def _readable(self, data_list: List[dict]) -> List[dict]:
        """The images of ``data_list`` whose file decodes (facts cached as
        the data check's, :mod:`segplug.engine.checks.data.file_facts`)."""
        facts, _ = file_facts([(IMAGE, info['img_path'])
                               for info in data_list], self.data_root
                              or osp.dirname(self.ann_file))
        kept = []
        for info in data_list:
            error = facts[(IMAGE, info['img_path'])].get('error')
            if error:
                self._report('image', _LEFT_OUT.get(error, _LEFT_OUT['']),
                             info['img_id'])
                continue
            kept.append(info)
            if not info['instances']:
                self._report('image', 'no usable object in the image',
                             info['img_id'])
        return kept

    def parse_data_info(self, raw_data_info: dict) -> dict:
        if not self._image_ids_checked:  # while mmdet's COCO index is held
            self._image_ids_checked = True
            self._check_image_ids()
        img = raw_data_info['raw_img_info']
        anns = []
        for ann in raw_data_info['raw_ann_info']:
            if ann['id'] in self._seen_ann_ids:
                self._repeated_ann_ids.append(ann['id'])
            self._seen_ann_ids.add(ann['id'])
            ann = self._check_annotation(
                dict(ann), img['width'], img['height'])
            if ann is not None:
                anns.append(ann)
        return super().parse_data_info(dict(raw_data_info, raw_ann_info=anns))

    def _report(self, kind: str, what: str, id_: int) -> None:
        self._problems[(kind, what)].append(id_)

    def _known_category(self, ann: dict) -> bool:
        """Whether the annotation's category_id is in the file's
        categories (mmdet drops the others silently, as it drops the
        categories left out of ``metainfo.classes`` on purpose)."""
        if self._category_ids is None:
            self._category_ids = set(self.coco.cats)
        return ann.get('category_id') in self._category_ids

    def _check_annotation(self, ann: dict, width: int,
                          height: int) -> Optional[dict]:
        """The annotation repaired, or None to drop it."""
        if not self._known_category(ann):
            self._report(
                'annotation', 'category_id not in the categories, '
                'object dropped', ann['id'])
            return None
        seg = ann.get('segmentation')
        if seg is not None and not seg:
            self._report('annotation', 'empty segmentation, object dropped',
                         ann['id'])
            return None
        if isinstance(seg, dict) and 'size' in seg and list(
                seg['size']) != [height, width]:
            self._report(
                'annotation', "RLE mask whose size is not its image's, "
                'object dropped', ann['id'])
            return None
        if isinstance(seg, list):  # polygons
            valid = [poly for poly in seg if _valid_polygon(poly)]
            if len(valid) < len(seg):
                self._report(
                    'annotation', 'degenerate polygon (fewer than 3 points '
                    'or zero area) dropped', ann['id'])
                if not valid:
                    return None
                ann['segmentation'] = valid
        if not _valid_box(ann.get('bbox')):
            if not isinstance(seg, list) or not seg:
                self._report('annotation', 'no box and no polygon, object '
                             'dropped', ann['id'])
                return None
            self._report(
                'annotation', 'box missing or not 4 numbers, taken '
                'from the polygons', ann['id'])
            ann['bbox'] = _polygons_box(ann['segmentation'])
        x, y, w, h = ann['bbox']
        if w <= 0 or h <= 0 or ann.get('area', 1) <= 0:
            self._report('annotation',
                         'box or area of zero size, object dropped', ann['id'])
            return None
        x1, y1 = max(x, 0), max(y, 0)
        x2, y2 = min(x + w, width), min(y + h, height)
        if x2 - x1 < 1 or y2 - y1 < 1:
            self._report('annotation', 'box outside the image, object '
                         'dropped', ann['id'])
            return None
        if (x1, y1, x2, y2) != (x, y, x + w, y + h):
            self._report('annotation',
                         'box reaching outside the image, clipped', ann['id'])
            ann['bbox'] = [x1, y1, x2 - x1, y2 - y1]
        return ann
