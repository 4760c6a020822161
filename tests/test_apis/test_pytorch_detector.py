"""PytorchDetector and tools/infer.py on the shapes Mask R-CNN; mmdet's
DetInferencer on the same config and checkpoint."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from segplug.apis import PytorchDetector, read_image
from .trained import val_images

CONFIG = 'configs/mask_rcnn/mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py'
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """The shapes Mask R-CNN as built: its boxes score low, but there are
    boxes and masks to write."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('mask-rcnn') / 'mask_rcnn.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_detector_and_det_inferencer_agree(checkpoint, shapes_root):
    from mmdet.apis import DetInferencer
    paths = val_images(shapes_root)[:2]
    detector = PytorchDetector(CONFIG, checkpoint)
    assert detector.classes == ('circle', 'square', 'triangle', 'star')
    preds = detector.predict([read_image(p) for p in paths])
    inferencer = DetInferencer(
        model=CONFIG, weights=checkpoint, device='cpu', show_progress=False)
    theirs = inferencer(paths, return_datasamples=True)['predictions']
    for pred, sample in zip(preds, theirs):
        assert len(pred.scores) > 0
        assert pred.masks.shape == (len(pred.scores), 64, 64)
        np.testing.assert_allclose(
            pred.boxes, sample.pred_instances.bboxes.numpy(), atol=1e-4)
        np.testing.assert_array_equal(pred.labels,
                                      sample.pred_instances.labels.numpy())


def test_infer_writes_coco_results_and_overlays(run_tool_in_process,
                                                checkpoint, shapes_root,
                                                tmp_path, capsys):
    from pycocotools import mask as mask_util
    paths = val_images(shapes_root)[:2]
    out = str(tmp_path / 'out')
    run_tool_in_process(['tools/infer.py', CONFIG, checkpoint] + paths +
                        ['--out', out, '--score-thr', '0'])
    assert 'predicted 2 images, skipped 0' in capsys.readouterr().out
    with open(osp.join(out, 'results.json')) as f:
        results = json.load(f)
    detector = PytorchDetector(CONFIG, checkpoint)
    for path in paths:
        pred = detector.predict([read_image(path)])[0]
        mine = [r for r in results if r['image_file'] == path]
        assert len(mine) == len(pred.scores) > 0
        for r, box, label, mask in zip(mine, pred.boxes, pred.labels,
                                       pred.masks):
            x1, y1, x2, y2 = box
            np.testing.assert_allclose(
                r['bbox'], [x1, y1, x2 - x1, y2 - y1], rtol=1e-5)
            assert r['category_id'] == label + 1
            assert r['category_name'] == detector.classes[label]
            np.testing.assert_array_equal(
                mask_util.decode(r['segmentation']).astype(bool), mask)
        overlay = cv2.imread(
            osp.join(out, 'overlays',
                     osp.splitext(osp.basename(path))[0] + '.png'))
        assert overlay.shape == (64, 64, 3)
        assert (overlay != read_image(path)).any()
