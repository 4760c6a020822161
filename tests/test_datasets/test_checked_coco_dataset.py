"""CheckedCocoDataset: bad annotations of a real COCO file are repaired or
dropped, each kind named with its ids in one warning, and loading goes on.
"""
import json
import shutil
import warnings

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

import segplug  # noqa: F401
from segplug.datasets import CheckedCocoDataset

SQUARE = [10, 10, 30, 10, 30, 30, 10, 30]


def _ann(id_, image_id, bbox, seg=None, area=None, cat=1):
    x, y, w, h = bbox
    return dict(
        id=id_,
        image_id=image_id,
        category_id=cat,
        bbox=bbox,
        area=w * h if area is None else area,
        iscrowd=0,
        segmentation=[SQUARE] if seg is None else seg)


@pytest.fixture
def bad_coco(tmp_path):
    """Images 1-3 on disk (3 with no annotation), image 4 missing; one good
    annotation (1) and one of each problem."""
    (tmp_path / 'img').mkdir()
    for i in (1, 2, 3):
        Image.fromarray(np.zeros((40, 50, 3),
                                 np.uint8)).save(tmp_path / 'img' / f'{i}.jpg')
    images = [
        dict(id=i, file_name=f'{i}.jpg', height=40, width=50)
        for i in (1, 2, 3, 4)
    ]
    annotations = [
        _ann(1, 1, [10, 10, 20, 20]),
        _ann(2, 1, [10, 10, 20, 20], seg=[[10, 10, 30, 10]]),  # 2 points
        _ann(3, 1, [10, 10, 20, 20], seg=[[0, 0, 5, 5, 10, 10]]),  # flat
        _ann(4, 2, [40, 30, 20, 20]),  # reaches outside: clipped
        _ann(5, 2, [60, 10, 5, 5]),  # wholly outside
        _ann(6, 2, [10, 10, 0, 5]),  # zero width
        _ann(7, 2, [5, 5, 10, 10],
             seg=[SQUARE, [1, 1, 2, 2]]),  # one bad polygon of two
        _ann(8, 4, [10, 10, 20, 20]),
    ]
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(
        json.dumps(
            dict(
                images=images,
                annotations=annotations,
                categories=[dict(id=1, name='thing')])))
    return tmp_path


def _load(root, test_mode=True):
    with warnings.catch_warnings(record=True) as caught, \
            DefaultScope.overwrite_default_scope('mmdet'):
        warnings.simplefilter('always')
        ds = CheckedCocoDataset(
            data_root=str(root),
            ann_file='ann.json',
            data_prefix=dict(img='img/'),
            metainfo=dict(classes=('thing', )),
            test_mode=test_mode,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations', with_bbox=True, with_mask=True)
            ])
        items = [ds[i] for i in range(len(ds))]
    messages = [str(w.message) for w in caught if 'ann.json' in str(w.message)]
    return items, messages


def _line(messages, what):
    found = [m for m in messages if what in m]
    assert len(found) == 1, (what, messages)
    return found[0]


def test_bad_annotations_are_named_repaired_or_dropped(bad_coco):
    ds, messages = _load(bad_coco)
    assert 'annotation ids 2, 3, 7' in _line(messages, 'degenerate polygon')
    assert 'annotation ids 4' in _line(messages, 'clipped')
    assert 'annotation ids 5' in _line(messages, 'outside the image, object')
    assert 'annotation ids 6' in _line(messages, 'zero size')
    assert 'image ids 4' in _line(messages, 'file not found')
    assert 'image ids 3' in _line(messages, 'no usable object')
    assert len(messages) == 6

    # image 4 is left out; 1-3 load with their repaired objects
    assert [item['img_id'] for item in ds] == [1, 2, 3]
    first, second = ds[0], ds[1]
    assert len(first['gt_bboxes']) == 1  # 2 and 3 dropped
    np.testing.assert_allclose(second['gt_bboxes'].numpy(),
                               [[40, 30, 50, 40], [5, 5, 15, 15]])
    # 7 keeps its good polygon, the same square as 1's
    square = first['gt_masks'].masks[0]
    assert square.sum() > 300
    np.testing.assert_array_equal(second['gt_masks'].masks[1], square)
    assert len(ds[2]['gt_bboxes']) == 0


def test_training_leaves_out_images_without_objects(bad_coco):
    ds, messages = _load(bad_coco, test_mode=False)
    # filter_empty_gt is off without a filter_cfg, as in mmdet
    assert [item['img_id'] for item in ds] == [1, 2, 3]
    assert 'image ids 3' in _line(messages, 'no usable object')


def test_many_ids_are_counted_not_listed(tmp_path):
    (tmp_path / 'img').mkdir()
    Image.fromarray(np.zeros((40, 50, 3),
                             np.uint8)).save(tmp_path / 'img' / '1.jpg')
    anns = [_ann(i, 1, [10, 10, 20, 20], seg=[[1, 2]]) for i in range(1, 31)]
    (tmp_path / 'ann.json').write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='1.jpg', height=40, width=50)],
                annotations=anns,
                categories=[dict(id=1, name='thing')])))
    _, messages = _load(tmp_path)
    line = _line(messages, 'degenerate polygon')
    assert 'annotation ids 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ... (30 in all)' in (
        line)


def _write(root, annotations):
    (root / 'img').mkdir(exist_ok=True)
    for i in (1, 2):
        Image.fromarray(np.zeros((40, 50, 3),
                                 np.uint8)).save(root / 'img' / f'{i}.jpg')
    (root / 'ann.json').write_text(
        json.dumps(
            dict(
                images=[
                    dict(id=i, file_name=f'{i}.jpg', height=40, width=50)
                    for i in (1, 2)
                ],
                annotations=annotations,
                categories=[dict(id=1, name='thing')])))


def test_missing_boxes_come_from_the_polygons(tmp_path):
    no_box = _ann(1, 1, [0, 0, 1, 1])
    del no_box['bbox']
    bad_box = dict(_ann(2, 2, [0, 0, 1, 1]), bbox=[1, 2, 3])
    rle_only = dict(_ann(3, 2, [0, 0, 1, 1]), segmentation={'counts': 'x'})
    del rle_only['bbox']
    _write(tmp_path, [no_box, bad_box, rle_only])
    ds, messages = _load(tmp_path)
    assert 'annotation ids 1, 2' in _line(messages, 'box missing')
    assert 'annotation ids 3' in _line(messages, 'no box and no polygon')
    for item in ds:  # SQUARE spans 10..30
        np.testing.assert_allclose(item['gt_bboxes'].numpy(),
                                   [[10, 10, 30, 30]])


def test_repeated_annotation_ids_are_one_clear_error(tmp_path):
    from segplug.engine import USER_ERRORS, DataError
    _write(tmp_path, [
        _ann(1, 1, [10, 10, 20, 20]),
        _ann(7, 1, [10, 10, 20, 20]),
        _ann(7, 2, [10, 10, 20, 20])
    ])
    with pytest.raises(
            DataError, match=r'ann.json: annotation ids are not '
            r'unique: 7$') as info:
        _load(tmp_path)
    assert isinstance(info.value, USER_ERRORS)


def test_unknown_category_ids_are_dropped_and_named(tmp_path):
    _write(tmp_path, [
        _ann(1, 1, [10, 10, 20, 20]),
        _ann(2, 1, [10, 10, 20, 20], cat=7),
        _ann(3, 2, [10, 10, 20, 20], cat=9)
    ])
    ds, messages = _load(tmp_path)
    assert 'annotation ids 2, 3' in _line(
        messages, 'category_id not in the categories, object dropped')
    assert [len(item['gt_bboxes']) for item in ds] == [1, 0]


def test_images_that_do_not_decode_are_left_out_and_named(tmp_path):
    _write(tmp_path, [_ann(i, i, [10, 10, 20, 20]) for i in (1, 2)])
    for i in (3, 4, 5):
        shutil.copy(tmp_path / 'img' / '1.jpg', tmp_path / 'img' / f'{i}.jpg')
    coco = json.loads((tmp_path / 'ann.json').read_text())
    coco['images'] += [
        dict(id=i, file_name=f'{i}.jpg', height=40, width=50)
        for i in (3, 4, 5)
    ]
    (tmp_path / 'ann.json').write_text(json.dumps(coco))
    data = (tmp_path / 'img' / '1.jpg').read_bytes()
    (tmp_path / 'img' / '2.jpg').write_bytes(data[:len(data) // 2])
    (tmp_path / 'img' / '3.jpg').write_bytes(b'')
    mid = len(data) // 2  # a repeated run of entropy-coded data
    (tmp_path / 'img' / '4.jpg').write_bytes(data[:mid] + data[mid - 100:])
    ds, messages = _load(tmp_path)
    assert 'image ids 2, 3' in _line(
        messages, 'file empty or does not '
        'decode, image left out')
    assert 'image ids 4' in _line(messages, 'corrupt JPEG data, image left '
                                  'out')
    assert [item['img_id'] for item in ds] == [1, 5]


def test_annotation_file_that_does_not_parse_names_line_and_column(tmp_path):
    from segplug.engine import DataError
    _write(tmp_path, [_ann(1, 1, [10, 10, 20, 20])])
    (tmp_path / 'ann.json').write_text('{"images": [\n  {"id": 1,,}\n]}')
    with pytest.raises(
            DataError,
            match=r'ann.json: not valid JSON at line '
            r'2 column 12: Expecting property name'):
        _load(tmp_path)
    text = json.dumps(dict(images=[], annotations=[], categories=[]))
    (tmp_path / 'ann.json').write_text(text[:-8])  # a partial download
    with pytest.raises(
            DataError,
            match='ann.json: not valid JSON at line 1 '
            'column 35: Unterminated string .*: the file ends '
            'before its brackets close'):
        _load(tmp_path)


def test_empty_and_wrongly_sized_masks_are_dropped_and_named(tmp_path):
    empty = dict(_ann(1, 1, [10, 10, 20, 20]), segmentation=[])
    wrong = dict(
        _ann(2, 2, [10, 10, 20, 20]),
        segmentation={
            'size': [20, 25],
            'counts': '0'
        })
    _write(tmp_path, [empty, wrong, _ann(3, 2, [10, 10, 20, 20])])
    ds, messages = _load(tmp_path)
    assert 'annotation ids 1' in _line(messages,
                                       'empty segmentation, object dropped')
    assert 'annotation ids 2' in _line(
        messages, "RLE mask whose size is not its image's, object dropped")
    assert [len(item['gt_bboxes']) for item in ds] == [0, 1]


def test_an_image_listed_twice_is_an_error(tmp_path):
    from segplug.engine import DataError
    _write(tmp_path, [_ann(1, 1, [10, 10, 20, 20])])
    data = json.loads((tmp_path / 'ann.json').read_text())
    data['images'].append(dict(data['images'][0]))
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(
            DataError,
            match=r'ann.json: images listed more than once: '
            r'image ids 1; list each once$'):
        _load(tmp_path)


def test_objects_of_an_image_not_listed_are_named(tmp_path):
    _write(tmp_path, [_ann(1, 1, [10, 10, 20, 20]), _ann(2, 9, [1, 1, 5, 5])])
    _, messages = _load(tmp_path)
    assert 'annotation ids 2' in _line(
        messages, 'image_id not in the images, object left out')
