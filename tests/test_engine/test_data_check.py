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
