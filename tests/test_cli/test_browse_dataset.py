"""``segplug browse-dataset``: each sample drawn with its label as the
pipeline gives it."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from segplug.cli import browse_dataset
from segplug.data_preparation import SHAPES_PALETTE

CONFIG = 'configs/deeplabv3plus_shapes.py'


def _run(repo_root, shapes_root, out, *extra, options=()):
    browse_dataset.main([
        osp.join(repo_root, CONFIG), '--out', out, *extra, '--cfg-options',
        f'train_dataloader.dataset.data_root={shapes_root}',
        f'val_dataloader.dataset.data_root={shapes_root}',
        f'test_dataloader.dataset.data_root={shapes_root}', *options
    ])


def test_val_samples_are_drawn_with_their_labels(repo_root, shapes_root,
                                                 tmp_path, capsys):
    out = str(tmp_path / 'val')
    browse_dataset.main([
        osp.join(repo_root, CONFIG), '--out', out, '--split', 'val', '--num',
        '3', '--cfg-options', f'val_dataloader.dataset.data_root={shapes_root}'
    ])
    assert capsys.readouterr().out.strip() == f'3 val samples drawn in {out}'
    drawn = sorted(os.listdir(out))
    assert drawn == [
        '00000_val_00000.png', '00001_val_00001.png', '00002_val_00002.png'
    ]
    # the val pipeline changes nothing: the drawing is the image blended
    # with the palette colour of each pixel's label (mmseg's alpha 0.8),
    # but where the class names are written
    image = cv2.imread(osp.join(shapes_root, 'JPEGImages', 'val_00000.jpg'))
    label = np.array(
        Image.open(
            osp.join(shapes_root, 'SegmentationClass', 'val_00000.png')))
    palette = np.zeros((256, 3))  # no colour for the ignore index
    palette[:len(SHAPES_PALETTE)] = SHAPES_PALETTE
    expected = image[..., ::-1] * 0.2 + palette[label] * 0.8
    got = cv2.imread(osp.join(out, drawn[0]))[..., ::-1]
    close = np.abs(got - expected).max(axis=2) <= 2
    assert close.mean() > 0.8, close.mean()


def test_train_split_and_all_samples(repo_root, shapes_root, tmp_path):
    out = str(tmp_path / 'train')
    _run(repo_root, shapes_root, out, '--num', '0')
    assert len(os.listdir(out)) == 16  # the fixture's train split


def test_missing_split_is_one_line(repo_root, shapes_root, tmp_path):
    with pytest.raises(SystemExit) as info:
        _run(
            repo_root,
            shapes_root,
            str(tmp_path / 'x'),
            '--split',
            'test',
            options=['test_dataloader=None'])
    assert info.value.code == ('error: --split test: the config has no '
                               'test_dataloader')


def test_an_mmdet_config_draws_boxes_and_masks(repo_root, shapes_root,
                                               tmp_path):
    """The training pipeline packs box and mask objects; they are drawn
    as mmdet's own browse tool draws them."""
    config = osp.join(repo_root, 'configs', 'mask_rcnn',
                      'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    out = str(tmp_path / 'mmdet')
    browse_dataset.main([
        config, '--out', out, '--split', 'val', '--num', '2', '--cfg-options',
        f'val_dataloader.dataset.data_root={shapes_root}'
    ])
    drawn = sorted(os.listdir(out))
    assert drawn == ['00000_val_00000.png', '00001_val_00001.png']
    image = cv2.imread(osp.join(shapes_root, 'JPEGImages', 'val_00000.jpg'))
    got = cv2.imread(osp.join(out, drawn[0]))
    assert got.shape == image.shape
    # the masks' fill and the boxes' edges change a good share of pixels
    changed = np.abs(got.astype(int) - image).max(axis=2) > 40
    assert 0.05 < changed.mean() < 0.95


def test_test_pipelines_label_at_the_original_size(repo_root):
    """mmseg's and mmdet's test pipelines load the labels after the resize
    (to evaluate at the original size); their training pipelines before."""
    from mmengine.config import Config
    voc = Config.fromfile(osp.join(repo_root, 'configs/deeplabv3plus_voc.py'))
    train = voc.train_dataloader.dataset.datasets[0].pipeline
    assert not browse_dataset.labels_at_original_size(train)
    assert browse_dataset.labels_at_original_size(
        voc.val_dataloader.dataset.pipeline)
    shapes = Config.fromfile(osp.join(repo_root, CONFIG))
    assert not browse_dataset.labels_at_original_size(
        shapes.val_dataloader.dataset.pipeline)  # no resize at all
