"""A deterministic synthetic data set in PASCAL VOC layout.

Each image holds a few overlapping shapes (circle, square, triangle, star) of
random size, rotation, colour and texture on a textured background, so the
class is carried by the outline alone and a model has to learn it. The data
are written exactly as VOC is laid out, plus COCO-style instance annotations
of the same images::

    out_dir/JPEGImages/{name}.jpg
    out_dir/SegmentationClass/{name}.png      palette PNG, 255 = void band
    out_dir/ImageSets/Segmentation/{train,val,trainval}.txt
    out_dir/annotations/instances_{train,val}.json
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from ..utils.progress import progress
from .palette import voc_palette

# An index is the class _shape_polygon draws, so the names live with it.
SHAPES_CLASSES = ('background', 'circle', 'square', 'triangle', 'star')
SHAPES_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
                  [0, 0, 128]]
_FORMAT_VERSION = 3


def _shape_polygon(cls: int, cx: float, cy: float, r: float,
                   angle: float) -> Optional[np.ndarray]:
    """Vertices of a square (2), triangle (3) or star (4); None for a circle.
    """
    if cls == 1:
        return None
    if cls == 4:
        t = angle + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    else:
        n = 4 if cls == 2 else 3
        t = angle + np.arange(n) * 2 * np.pi / n
        radii = np.full(n, r)
    return np.stack([cx + radii * np.cos(t), cy + radii * np.sin(t)], 1)


def _draw_mask(cls: int, cx: float, cy: float, r: float, angle: float,
               size: int) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    poly = _shape_polygon(cls, cx, cy, r, angle)
    if poly is None:
        cv2.circle(mask, (round(cx), round(cy)), round(r), 1, -1)
    else:
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    return mask.astype(bool)


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """An (size, size, 3) float image: solid, stripes, checker or noise.

    The pattern's second colour stays near the first, so the outline, which
    carries the class, is the strongest edge of an object.
    """
    c1 = rng.uniform(0, 255, 3)
    c2 = np.clip(c1 + rng.uniform(-50, 50, 3), 0, 255)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    kind = rng.integers(4)
    if kind == 0:
        w = np.zeros((size, size), np.float32)
    elif kind == 1:
        theta, period = rng.uniform(0, np.pi), rng.uniform(4, 12)
        w = (np.sin(
            (xx * np.cos(theta) + yy * np.sin(theta)) * 2 * np.pi / period)
             > 0).astype(np.float32)
    elif kind == 2:
        cell = rng.integers(3, 9)
        w = ((xx // cell + yy // cell) % 2).astype(np.float32)
    else:
        w = rng.uniform(0, 1, (size, size)).astype(np.float32)
    return c1 * (1 - w[..., None]) + c2 * w[..., None]


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    c1, c2 = rng.uniform(0, 255, (2, 3))
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    t = (xx * np.cos(theta) + yy * np.sin(theta))
    t = (t - t.min()) / max(np.ptp(t), 1e-6)
    img = c1 * (1 - t[..., None]) + c2 * t[..., None]
    noise = cv2.GaussianBlur(rng.normal(0, 25, (size, size, 3)), (0, 0), 2)
    return img + noise


def _layout(rng: np.random.Generator, size: int,
            max_objects: int) -> Optional[List[Tuple[int, np.ndarray]]]:
    """Draw objects back to front; return (class, visible mask) per object,
    or None when an object is mostly hidden or its visible part has a hole
    (so a COCO polygon describes every instance exactly)."""
    objs = []
    for _ in range(rng.integers(1, max_objects + 1)):
        cls = int(rng.integers(1, len(SHAPES_CLASSES)))
        r = rng.uniform(0.1, 0.26) * size
        cx, cy = rng.uniform(r * 0.6, size - r * 0.6, 2)
        objs.append(
            (cls, _draw_mask(cls, cx, cy, r, rng.uniform(0, 2 * np.pi), size)))
    visible = []
    for i, (cls, mask) in enumerate(objs):
        vis = mask.copy()
        for _, above in objs[i + 1:]:
            vis &= ~above
        if mask.sum() < 30 or vis.sum() < 0.4 * mask.sum():
            return None
        _, hierarchy = cv2.findContours(
            vis.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if (hierarchy[0, :, 3] >= 0).any():
            return None
        visible.append((cls, vis))
    return visible


def _void_band(instance_map: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` // 2 of a boundary between two instances or an
    instance and the background, as VOC marks object outlines void."""
    m = instance_map
    edge = np.zeros_like(m, bool)
    edge[:, 1:] |= m[:, 1:] != m[:, :-1]
    edge[:, :-1] |= m[:, 1:] != m[:, :-1]
    edge[1:, :] |= m[1:, :] != m[:-1, :]
    edge[:-1, :] |= m[1:, :] != m[:-1, :]
    k = max(width - 1, 1)
    return cv2.dilate(edge.astype(np.uint8), np.ones((k, k), np.uint8)) > 0


def make_sample(index: int,
                seed: int = 0,
                size: int = 128,
                max_objects: int = 4,
                void_width: int = 3) -> Tuple[np.ndarray, np.ndarray, list]:
    """One sample: RGB uint8 image, label map (uint8, 255 = void) and
    instances as (class, mask). Deterministic in (seed, index)."""
    rng = np.random.default_rng([seed, index])
    objects = None
    while objects is None:
        objects = _layout(rng, size, max_objects)
    img = _background(rng, size)
    label = np.zeros((size, size), np.uint8)
    instance_map = np.zeros((size, size), np.int32)
    for k, (cls, vis) in enumerate(objects, 1):
        tex = _texture(rng, size)
        img[vis] = tex[vis]
        label[vis] = cls
        instance_map[vis] = k
    label[_void_band(instance_map, void_width)] = 255
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    return img, label, objects


def mask_to_polygons(mask: np.ndarray, upscale: int = 4) -> List[list]:
    """COCO polygons that rasterise back to ``mask`` exactly.

    Contours traced on the pixel grid run through pixel centres and lose
    half of every boundary pixel; traced on a nearest-upscaled mask they run
    along the pixel edges instead.
    """
    up = np.kron(mask.astype(np.uint8), np.ones((upscale, upscale), np.uint8))
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    return [((c.reshape(-1) + 0.5) / upscale).tolist() for c in contours
            if len(c) >= 3]


def _coco_annotation(mask: np.ndarray, cls: int, ann_id: int,
                     image_id: int) -> Dict:
    polys = mask_to_polygons(mask)
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=cls,
        segmentation=polys,
        area=float(mask.sum()),
        bbox=[x0, y0, int(xs.max()) - x0 + 1,
              int(ys.max()) - y0 + 1],
        iscrowd=0)


def generate_shapes(out_dir: str,
                    num_train: int = 2000,
                    num_val: int = 200,
                    size: int = 128,
                    seed: int = 0,
                    max_objects: int = 4) -> Dict[str, List[str]]:
    """Write the data set to ``out_dir`` and return the split name lists.

    Rewrites nothing when ``out_dir`` already holds a set generated with the
    same arguments (recorded in ``out_dir/shapes.json``).
    """
    params = dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        seed=seed,
        max_objects=max_objects,
        version=_FORMAT_VERSION)
    splits = dict(
        train=[f'train_{i:05d}' for i in range(num_train)],
        val=[f'val_{i:05d}' for i in range(num_val)])
    stamp = osp.join(out_dir, 'shapes.json')
    if osp.exists(stamp):
        with open(stamp) as f:
            if json.load(f) == params:
                return splits
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation',
                'annotations'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    palette = voc_palette()
    categories = [
        dict(id=i, name=n) for i, n in enumerate(SHAPES_CLASSES) if i > 0
    ]
    for split, names in splits.items():
        offset = 0 if split == 'train' else num_train
        images, annotations = [], []
        for i, name in progress(
                enumerate(names),
                total=len(names),
                desc=f'shapes: writing {len(names)} {split} images'):
            img, label, objects = make_sample(offset + i, seed, size,
                                              max_objects)
            Image.fromarray(img).save(
                osp.join(out_dir, 'JPEGImages', name + '.jpg'), quality=90)
            png = Image.fromarray(label, mode='P')
            png.putpalette(palette)
            png.save(osp.join(out_dir, 'SegmentationClass', name + '.png'))
            image_id = offset + i + 1
            images.append(
                dict(
                    id=image_id,
                    file_name=name + '.jpg',
                    height=size,
                    width=size))
            for cls, vis in objects:
                annotations.append(
                    _coco_annotation(vis, cls,
                                     len(annotations) + 1, image_id))
        with open(
                osp.join(out_dir, 'annotations', f'instances_{split}.json'),
                'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories), f)
    _write_lists(out_dir, splits)
    with open(stamp, 'w') as f:
        json.dump(params, f)
    return splits


def _write_lists(out_dir: str, splits: Dict[str, List[str]]) -> None:
    lists = dict(splits, trainval=splits['train'] + splits['val'])
    for split, names in lists.items():
        with open(
                osp.join(out_dir, 'ImageSets', 'Segmentation', split + '.txt'),
                'w') as f:
            f.write('\n'.join(names) + '\n')
