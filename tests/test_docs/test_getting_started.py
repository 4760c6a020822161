"""The getting-started page's config for a folder of your own images and
masks is code: it must read such a folder and pass the data check."""
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from segplug.engine import DataError, check_data

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _folder_config() -> str:
    with open(
            osp.join(ROOT, 'docs', 'getting_started.md'),
            encoding='utf-8') as f:
        text = f.read()
    section = text.split('## A folder of your own images and masks', 1)[1]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def _write_folder(root, split: str, names, num_classes: int = 3) -> None:
    rng = np.random.default_rng(0)
    os.makedirs(osp.join(root, 'images', split))
    os.makedirs(osp.join(root, 'masks', split))
    for name in names:
        cv2.imwrite(
            osp.join(root, 'images', split, f'{name}.jpg'),
            rng.integers(0, 255, (40, 56, 3), dtype=np.uint8))
        mask = rng.integers(0, num_classes, (40, 56), dtype=np.uint8)
        mask[:3] = 255
        cv2.imwrite(osp.join(root, 'masks', split, f'{name}.png'), mask)


def _config(tmp_path):
    base = osp.join(ROOT, 'configs', '_base_') + '/'
    text = _folder_config().replace("'../_base_/", f"'{base}").replace(
        "data_root='data/my_data'", f"data_root='{tmp_path / 'my_data'}'")
    path = tmp_path / 'my_config.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def test_folder_config_reads_images_and_masks(tmp_path):
    _write_folder(str(tmp_path / 'my_data'), 'train', ['0001', '0002', '03'])
    _write_folder(str(tmp_path / 'my_data'), 'val', ['0101'])
    cfg = _config(tmp_path)
    summary = check_data(cfg, ['train_dataloader', 'val_dataloader'])
    assert summary is not None
    init_default_scope('mmseg')
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(train) == 3
    assert train.metainfo['classes'] == ('background', 'road', 'car')
    sample = DATASETS.build(cfg.val_dataloader.dataset)[0]
    labels = sample['data_samples'].gt_sem_seg.data
    assert set(labels.unique().tolist()) <= {0, 1, 2, 255}
    assert cfg.model.decode_head.num_classes == 3


def test_folder_config_names_a_mask_out_of_range(tmp_path):
    _write_folder(str(tmp_path / 'my_data'), 'train', ['0001'], num_classes=5)
    _write_folder(str(tmp_path / 'my_data'), 'val', ['0101'])
    cfg = _config(tmp_path)
    with pytest.raises(DataError, match='0001.png'):
        check_data(cfg, ['train_dataloader', 'val_dataloader'])
