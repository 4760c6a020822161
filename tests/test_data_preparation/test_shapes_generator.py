import io
import json
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

from segplug.data_preparation import (SHAPES_CLASSES, generate_shapes,
                                      make_sample)


def test_layout_is_voc_and_coco(shapes_root):
    root = shapes_root
    for split, n in (('train', 16), ('val', 8)):
        with open(osp.join(root, 'ImageSets/Segmentation',
                           split + '.txt')) as f:
            names = f.read().split()
        assert len(names) == n
        for name in names[:3]:
            img = Image.open(osp.join(root, 'JPEGImages', name + '.jpg'))
            label = Image.open(
                osp.join(root, 'SegmentationClass', name + '.png'))
            assert img.format == 'JPEG' and img.mode == 'RGB'
            assert label.mode == 'P' and label.size == img.size
    with open(osp.join(root, 'ImageSets/Segmentation/trainval.txt')) as f:
        assert len(f.read().split()) == 24


def test_deterministic_by_seed():
    a = make_sample(5, seed=3, size=64)
    b = make_sample(5, seed=3, size=64)
    c = make_sample(5, seed=4, size=64)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_labels_have_void_band_around_objects():
    img, label, objects = make_sample(0, size=96)
    values = set(np.unique(label).tolist())
    assert values <= set(range(len(SHAPES_CLASSES))) | {255}
    assert 255 in values and 0 in values
    # every labelled object pixel next to background is separated by void
    fg = (label > 0) & (label < 255)
    bg = label == 0
    assert not (fg[:, 1:] & bg[:, :-1]).any()
    assert not (fg[1:, :] & bg[:-1, :]).any()
    # the void band is thin: most object pixels keep their class
    masks = sum(m.sum() for _, m in objects)
    assert fg.sum() > 0.5 * masks


def test_objects_vary():
    classes, counts, colours = set(), set(), []
    for i in range(40):
        img, label, objects = make_sample(i, size=64)
        counts.add(len(objects))
        for cls, mask in objects:
            classes.add(cls)
            colours.append(img[mask].mean(0))
    assert classes == set(range(1, len(SHAPES_CLASSES)))
    assert len(counts) >= 3
    assert np.std(colours, axis=0).min() > 30


def test_coco_json_matches_the_label_maps(shapes_root):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    coco = COCO(osp.join(shapes_root, 'annotations/instances_val.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())
            ] == list(SHAPES_CLASSES[1:])
    assert len(coco.getImgIds()) == 8
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        label = np.array(
            Image.open(
                osp.join(shapes_root, 'SegmentationClass',
                         info['file_name'].replace('.jpg', '.png'))))
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            m = coco.annToMask(ann).astype(bool)
            assert ann['iscrowd'] == 0 and ann['area'] > 0
            assert m.sum() == ann['area']
            # the instance's labelled pixels (void band aside) are its class
            inner = label[m]
            inner = inner[inner != 255]
            assert (inner == ann['category_id']).mean() > 0.9
            x, y, w, h = ann['bbox']
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            bx, by, bw, bh = mask_utils.toBbox(rle)
            assert [bx, by, bw, bh] == [x, y, w, h]


def test_regeneration_is_skipped_only_for_same_arguments(tmp_path):
    root = str(tmp_path)
    generate_shapes(root, num_train=2, num_val=1, size=32)
    png = osp.join(root, 'SegmentationClass', 'train_00000.png')
    mtime = osp.getmtime(png)
    generate_shapes(root, num_train=2, num_val=1, size=32)
    assert osp.getmtime(png) == mtime
    generate_shapes(root, num_train=2, num_val=1, size=40)
    assert Image.open(png).size == (40, 40)
    with open(osp.join(root, 'shapes.json')) as f:
        assert json.load(f)['size'] == 40


@pytest.mark.parametrize('name', ['train', 'val'])
def test_split_names_are_distinct(shapes_root, name):
    with open(osp.join(shapes_root, 'ImageSets/Segmentation',
                       name + '.txt')) as f:
        names = f.read().split()
    assert len(set(names)) == len(names)
    assert all(n.startswith(name) for n in names)


class _Terminal(io.StringIO):

    def isatty(self):
        return True


def test_quiet_off_a_terminal_with_a_bar_on_one(tmp_path, capsys, monkeypatch):
    generate_shapes(str(tmp_path / 'a'), num_train=3, num_val=2, size=32)
    assert capsys.readouterr().err == ''
    terminal = _Terminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    generate_shapes(str(tmp_path / 'b'), num_train=3, num_val=2, size=32)
    text = terminal.getvalue()
    assert 'shapes: writing 3 train images\n' in text
    assert 'shapes: writing 2 val images\n' in text
    assert '3/3' in text and '2/2' in text and 'ETA' in text
