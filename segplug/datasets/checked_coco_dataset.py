"""COCO instances with the annotation problems of real files reported.

mmdet's ``CocoDataset`` drops some bad annotations silently and lets others
through to fail or mislead later: a polygon of fewer than three points, a
box reaching outside the image, an image file that is not on disk. This
dataset handles each the same way every time and says so once per load,
naming the offending annotation or image ids, so a long run neither stops
nor trains on something other than what the file says without notice.
"""
import os.path as osp
import warnings
from collections import defaultdict
from typing import Dict, List, Optional, Set, Tuple

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from ..engine.errors import DataError

# ids listed in one warning before the rest are only counted
_MAX_IDS = 10


def _polygon_area(coords: List[float]) -> float:
    """Shoelace area of a flat [x0, y0, x1, y1, ...] polygon."""
    xs, ys = coords[0::2], coords[1::2]
    n = len(xs)
    return abs(
        sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i]
            for i in range(n))) / 2


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


def _shown(ids: List[int]) -> str:
    more = f' ... ({len(ids)} in all)' if len(ids) > _MAX_IDS else ''
    return ', '.join(str(i) for i in ids[:_MAX_IDS]) + more


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` that repairs or drops bad annotations and
    warns with their ids:

    - an image whose file is missing: left out (evaluation against the
      annotation file still counts its objects);
    - a polygon with fewer than 3 points, an odd number of coordinates or
      zero area: the polygon is dropped; an object left with no polygon is
      dropped;
    - a box reaching outside the image: clipped to it; a box wholly
      outside, or of zero width, height or area: the object is dropped;
    - no box (or not 4 numbers): the box around its polygons, or, without
      polygons, the object is dropped;
    - an image with no usable object: kept for testing; for training,
      ``filter_cfg.filter_empty_gt`` decides as in mmdet.

    Arguments are those of ``CocoDataset``.
    """

    def load_data_list(self) -> List[dict]:
        # (kind of id, what happened) -> ids
        self._problems: Dict[Tuple[str, str], List[int]] = defaultdict(list)
        self._seen_ann_ids: Set[int] = set()
        self._repeated_ann_ids: List[int] = []
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
        kept = []
        for info in data_list:
            if not osp.isfile(info['img_path']):
                self._report('image', 'file not found, image left out',
                             info['img_id'])
                continue
            kept.append(info)
            if not info['instances']:
                self._report('image', 'no usable object in the image',
                             info['img_id'])
        for (kind, what), ids in self._problems.items():
            warnings.warn(f'{self.ann_file}: {what}: {kind} ids {_shown(ids)}',
                          stacklevel=2)
        return kept

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img = raw_data_info['raw_img_info']
        anns = []
        for ann in raw_data_info['raw_ann_info']:
            if ann['id'] in self._seen_ann_ids:
                self._repeated_ann_ids.append(ann['id'])
            self._seen_ann_ids.add(ann['id'])
            ann = self._check_annotation(dict(ann), img['width'],
                                         img['height'])
            if ann is not None:
                anns.append(ann)
        return super().parse_data_info(
            dict(raw_data_info, raw_ann_info=anns))

    def _report(self, kind: str, what: str, id_: int) -> None:
        self._problems[(kind, what)].append(id_)

    def _check_annotation(self, ann: dict, width: int,
                          height: int) -> Optional[dict]:
        """The annotation repaired, or None to drop it."""
        seg = ann.get('segmentation')
        if isinstance(seg, list):  # polygons (RLE dicts are left to mmdet)
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
            self._report('annotation', 'box missing or not 4 numbers, taken '
                         'from the polygons', ann['id'])
            ann['bbox'] = _polygons_box(ann['segmentation'])
        x, y, w, h = ann['bbox']
        if w <= 0 or h <= 0 or ann.get('area', 1) <= 0:
            self._report('annotation',
                         'box or area of zero size, object dropped',
                         ann['id'])
            return None
        x1, y1 = max(x, 0), max(y, 0)
        x2, y2 = min(x + w, width), min(y + h, height)
        if x2 - x1 < 1 or y2 - y1 < 1:
            self._report('annotation', 'box outside the image, object '
                         'dropped', ann['id'])
            return None
        if (x1, y1, x2, y2) != (x, y, x + w, y + h):
            self._report('annotation',
                         'box reaching outside the image, clipped',
                         ann['id'])
            ann['bbox'] = [x1, y1, x2 - x1, y2 - y1]
        return ann
