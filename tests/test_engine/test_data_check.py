import warnings

import pytest
from mmengine.config import Config

from segplug.engine import DataNotFoundError, check_data


def test_missing_voc_names_path_and_preparation(repo_root, tmp_path):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    cfg.merge_from_dict({
        'train_dataloader.dataset.datasets.0.data_root': str(tmp_path / 'x')
    })
    with pytest.raises(DataNotFoundError) as info:
        check_data(cfg, ['train_dataloader'])
    msg = str(info.value)
    assert '\n' not in msg
    assert str(tmp_path / 'x') in msg and 'tools/prepare_voc.py' in msg


def test_missing_part_of_a_data_set(shapes_root, repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_shapes.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = shapes_root
    check_data(cfg, ['train_dataloader', 'val_dataloader', 'absent'])
    cfg.val_dataloader.dataset.ann_file = 'ImageSets/Segmentation/nope.txt'
    with pytest.raises(DataNotFoundError, match='val_dataloader: ann_file '
                       'not found: .*nope.txt; generate it with'):
        check_data(cfg, ['train_dataloader', 'val_dataloader'])


def test_missing_vgg_weights_name_the_converter(repo_root):
    from segplug.engine import check_pretrained
    cfg = Config.fromfile(
        f'{repo_root}/configs/fcn/fcn8s_vgg16_4xb4-20k_voc12aug-512x512.py')
    cfg.model.backbone.init_cfg.checkpoint = '/nonexistent/vgg16_fcn.pth'
    with pytest.raises(DataNotFoundError, match='model.backbone.init_cfg.'
                       'checkpoint not found: /nonexistent/vgg16_fcn.pth; '
                       '.*tools/convert_vgg16.py'):
        check_pretrained(cfg)
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    check_pretrained(cfg)  # its ImageNet weights come by URL: no error


def test_a_metric_reading_other_ground_truth_warns(shapes_root, repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/mask_rcnn/'
                          'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    # data moved on the command line, the metric's file left behind
    cfg.val_dataloader.dataset.data_root = shapes_root
    with pytest.warns(UserWarning, match='val_evaluator.ann_file is data/'
                      'shapes/annotations/instances_val.json but the dataset '
                      f'reads {shapes_root}/annotations/instances_val.json'):
        check_data(cfg, ['val_dataloader'])
    cfg.val_evaluator.ann_file = (f'{shapes_root}/annotations/'
                                  'instances_val.json')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        check_data(cfg, ['val_dataloader'])
