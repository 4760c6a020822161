"""tools/infer.py's COCO results for an mmdet config carry the annotation
file's own category ids (COCO 2017's run 1..90 for 80 classes), paired with
class indices as mmdet's CocoDataset and CocoMetric pair them; pycocotools
reads them back as the right categories."""
import json

import numpy as np
from mmengine.config import Config
from pycocotools.coco import COCO

from segplug.apis.infer_instances import category_ids, coco_results
from segplug.apis.inputs import Input
from segplug.apis.pytorch_detector import InstancePrediction

CLASSES = ('circle', 'square', 'star')


def _annotations(path):
    # ids not 1..N, and a category the classes do not name in between
    categories = [
        dict(id=3, name='circle'),
        dict(id=5, name='unused'),
        dict(id=7, name='square'),
        dict(id=90, name='star')
    ]
    image = dict(id=1, file_name='a.jpg', width=8, height=8)
    path.write_text(
        json.dumps(
            dict(images=[image], annotations=[], categories=categories)))
    return path


def _cfg(root, ann_file):
    return Config(
        dict(
            test_dataloader=dict(
                dataset=dict(data_root=str(root), ann_file=ann_file))))


def test_ids_are_the_annotation_files_and_pycocotools_reads_them(tmp_path):
    _annotations(tmp_path / 'instances.json')
    ids, source = category_ids(_cfg(tmp_path, 'instances.json'), CLASSES)
    assert ids == [3, 7, 90] and source == f'{tmp_path}/instances.json'
    mask = np.zeros((3, 8, 8), bool)
    mask[:, 2:5, 2:5] = True
    pred = InstancePrediction(
        np.array([[2, 2, 5, 5]] * 3, np.float32),
        np.array([0.9, 0.8, 0.7], np.float32), np.array([0, 1, 2]), mask)
    results = coco_results(Input('a.jpg', 'a'), pred, CLASSES, ids)
    for r in results:
        r['image_id'] = 1
    gt = COCO(str(tmp_path / 'instances.json'))
    found = gt.loadRes(results)
    names = [
        gt.loadCats(a['category_id'])[0]['name']
        for a in found.dataset['annotations']
    ]
    assert names == list(CLASSES)


def test_without_the_annotation_file_ids_are_index_plus_one(tmp_path):
    ids, source = category_ids(_cfg(tmp_path, 'absent.json'), CLASSES)
    assert ids == [1, 2, 3] and source == ''
