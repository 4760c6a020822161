"""The data check: paths, then every sample's files, before training."""
import importlib
import json
import os
import os.path as osp
import re
import shutil
import warnings

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from segplug.data_preparation import voc_palette
from segplug.engine import (ConfigError, DataError, DataNotFoundError,
                            check_data)
from segplug.engine.checks.data.file_inspection import inspect_file


def test_missing_voc_names_path_and_preparation(repo_root, tmp_path):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    cfg.merge_from_dict(
        {'train_dataloader.dataset.datasets.0.data_root': str(tmp_path / 'x')})
    with pytest.raises(DataNotFoundError) as info:
        check_data(cfg, ['train_dataloader'])
    msg = str(info.value)
    assert '\n' not in msg
    assert str(tmp_path / 'x') in msg and 'segplug prepare-voc' in msg


def test_missing_part_of_a_data_set(shapes_root, repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_shapes.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = shapes_root
    check_data(cfg, ['train_dataloader', 'val_dataloader', 'absent'])
    cfg.val_dataloader.dataset.ann_file = 'ImageSets/Segmentation/nope.txt'
    with pytest.raises(
            DataNotFoundError,
            match='val_dataloader: ann_file '
            'not found: .*nope.txt; generate it with'):
        check_data(cfg, ['train_dataloader', 'val_dataloader'])


def test_missing_vgg_weights_name_the_converter(repo_root):
    from segplug.engine import check_pretrained
    cfg = Config.fromfile(
        f'{repo_root}/configs/fcn/fcn8s_vgg16_4xb4-20k_voc12aug-512x512.py')
    cfg.model.backbone.init_cfg.checkpoint = '/nonexistent/vgg16_fcn.pth'
    with pytest.raises(
            DataNotFoundError,
            match='model.backbone.init_cfg.'
            'checkpoint not found: /nonexistent/vgg16_fcn.pth; '
            '.*segplug convert-vgg16'):
        check_pretrained(cfg)
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    check_pretrained(cfg)  # its ImageNet weights come by URL: no error


def test_a_metric_reading_other_ground_truth_warns(shapes_root, repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/mask_rcnn/'
                          'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    # data moved on the command line, the metric's file left behind
    cfg.val_dataloader.dataset.data_root = shapes_root
    with pytest.warns(
            UserWarning,
            match='val_evaluator.ann_file is data/'
            'shapes/annotations/instances_val.json but the dataset '
            f'reads {shapes_root}/annotations/instances_val.json'):
        check_data(cfg, ['val_dataloader'])
    cfg.val_evaluator.ann_file = (f'{shapes_root}/annotations/'
                                  'instances_val.json')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        check_data(cfg, ['val_dataloader'])


# Each case below breaks one thing in a copy of the shapes data (VOC
# layout) and checks that the data check names it, before any training.
TRAIN, VAL = 'train_dataloader', 'val_dataloader'
LOADERS = [TRAIN, VAL]


@pytest.fixture
def voc(shapes_root, tmp_path, repo_root):
    """A copy of the shapes data and the shapes config reading it."""
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_shapes.py')
    for loader in (TRAIN, VAL, 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
    cfg.work_dir = str(tmp_path / 'work')
    return root, cfg


def _image(root, name='train_00003'):
    return root / 'JPEGImages' / f'{name}.jpg'


def _label(root, name='train_00003'):
    return root / 'SegmentationClass' / f'{name}.png'


def _save_label(path, array):
    png = Image.fromarray(array, 'P')
    png.putpalette(voc_palette())  # without one Pillow remaps the values
    png.save(path)


def _error(cfg, loaders=LOADERS):
    with pytest.raises(DataError) as info:
        check_data(cfg, loaders)
    msg = str(info.value)
    assert '\n' not in msg and msg.startswith('data check: ')
    assert 'data_check=warn' in msg
    return msg


def test_truncated_jpeg_is_named(voc):
    root, cfg = voc
    path = _image(root)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    msg = _error(cfg)
    assert (f'image does not decode (1): {path} (Premature end of JPEG '
            'file)') in msg
    assert '1 problem in 1 of 24 samples (train_dataloader 1)' in msg


def test_zero_byte_jpeg_is_named(voc):
    root, cfg = voc
    _image(root).write_bytes(b'')
    assert f'image file is empty (0 bytes) (1): {_image(root)}' in _error(cfg)


def test_corrupt_jpeg_data_that_opencv_decodes_is_named(voc):
    root, cfg = voc
    path = _image(root)
    data = path.read_bytes()
    # 200 bytes of the entropy-coded data repeated: libjpeg only warns
    mid = len(data) // 2
    path.write_bytes(data[:mid] + data[mid - 200:])
    assert cv2.imread(str(path)) is not None  # what the pipeline would do
    msg = _error(cfg)
    assert f'corrupt JPEG data (it decodes with grey or smeared blocks) ' \
           f'(1): {path} (Corrupt JPEG data' in msg


def test_missing_label_is_named(voc):
    root, cfg = voc
    os.remove(_label(root))
    assert f'label not found (1): {_label(root)}' in _error(cfg)


def test_out_of_range_value_names_file_values_and_num_classes(voc):
    root, cfg = voc
    label = np.array(Image.open(_label(root)))
    label[:4, :4] = 50
    _save_label(_label(root), label)
    msg = _error(cfg)
    assert ('label values outside [0, 5) that are not the ignore index 255 '
            f'(model.decode_head.num_classes=5) (1): {_label(root)} (values '
            '50)') in msg


def test_label_of_another_size_is_named(voc):
    root, cfg = voc
    _save_label(_label(root), np.zeros((60, 64), np.uint8))
    assert (f'label size differs from its image (1): {_label(root)} (64x60, '
            'image 64x64)') in _error(cfg)


def test_colour_label_is_named_with_how_to_convert(voc):
    root, cfg = voc
    Image.open(_label(root)).convert('RGB').save(_label(root))
    msg = _error(cfg)
    assert 'colour label, not class indices (map each palette colour' in msg
    assert f'{_label(root)} (RGB)' in msg


def test_image_size_is_taken_after_its_exif_orientation(voc):
    root, cfg = voc
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 64x48, shown turned by 90 degrees: 48x64
    Image.open(_image(root)).resize((64, 48)).save(_image(root), exif=exif)
    assert cv2.imread(str(_image(root))).shape[:2] == (64, 48)
    _save_label(_label(root), np.zeros((64, 48), np.uint8))
    check_data(cfg, LOADERS)
    _save_label(_label(root), np.zeros((48, 64), np.uint8))
    assert f'{_label(root)} (64x48, image 48x64)' in _error(cfg)


def test_id_without_jpeg_is_named(voc):
    root, cfg = voc
    os.remove(_image(root))
    assert f'image not found (1): {_image(root)}' in _error(cfg)


def test_empty_split_file_is_named(voc):
    root, cfg = voc
    split = root / 'ImageSets' / 'Segmentation' / 'train.txt'
    split.write_text('')
    msg = _error(cfg)
    assert f'split file lists no samples (1): {split}' in msg


def test_too_few_classes_are_counted(voc):
    root, cfg = voc
    cfg.model.decode_head.num_classes = 3
    cfg.model.auxiliary_head = None
    msg = _error(cfg)
    # the shapes labels hold classes 0-4
    assert re.search(
        r'label values outside \[0, 3\) .*num_classes=3\) '
        r'\(\d+\): .* \.\.\. \(\d+ in all\)', msg), msg


def test_broken_val_label_is_found_before_training(voc):
    root, cfg = voc
    _save_label(_label(root, 'val_00002'), np.zeros((64, 30), np.uint8))
    msg = _error(cfg)
    assert '(val_dataloader 1)' in msg
    assert str(_label(root, 'val_00002')) in msg


def test_all_problems_in_one_line_and_the_full_list_in_the_work_dir(voc):
    root, cfg = voc
    _image(root, 'train_00001').write_bytes(b'')
    _image(root, 'train_00002').write_bytes(b'')
    os.remove(_label(root, 'val_00001'))
    wide = np.zeros((64, 64), np.uint16)
    wide[0, 0] = 300
    Image.fromarray(wide).save(_label(root, 'train_00004'))  # 16 bits
    msg = _error(cfg)
    assert ('4 problems in 4 of 24 samples (train_dataloader 3, '
            'val_dataloader 1)') in msg
    assert 'image file is empty (0 bytes) (2)' in msg
    assert 'label values above 255' in msg and 'values 300' in msg
    report = osp.join(cfg.work_dir, 'data_check.txt')
    assert f'full list in {report}' in msg
    lines = open(report).read().splitlines()
    assert len(lines) == 4
    assert lines[-1].startswith(f'{VAL}\tlabel:missing\t')


def test_reduce_zero_label_and_label_map_apply_as_in_mmseg(voc):
    root, cfg = voc
    label = np.array(Image.open(_label(root)))
    label[:2, :2] = 5  # class 5 of a 5-class head: out of range...
    _save_label(_label(root), label)
    assert 'values 5' in _error(cfg, [TRAIN])
    # ...but one down with reduce_zero_label (and 0 becomes 255); these
    # classes start with background, which the label check would name
    cfg.train_dataloader.dataset.reduce_zero_label = True
    cfg.label_check = 'off'
    check_data(cfg, [TRAIN])


def test_second_check_decodes_nothing(voc, monkeypatch):
    file_facts = importlib.import_module(
        'segplug.engine.checks.data.file_facts')
    root, cfg = voc
    decoded = []

    def counting(key):
        decoded.append(key)
        return inspect_file(key)

    monkeypatch.setattr(file_facts, 'inspect_file', counting)
    first = check_data(cfg, LOADERS)
    assert len(decoded) == first.decoded == first.files == 48
    decoded.clear()
    second = check_data(cfg, LOADERS)
    assert decoded == [] and second.decoded == 0
    assert '100% from the cache' in str(second)
    # the cache holds facts, not verdicts: another num_classes decodes
    # nothing either
    cfg.model.decode_head.num_classes = 2
    assert 'num_classes=2' in _error(cfg) and decoded == []
    cfg.model.decode_head.num_classes = 5
    # a changed file is decoded again, and its new facts count
    _image(root).write_bytes(b'')
    _error(cfg)
    assert decoded == [('image', str(_image(root)))]


def test_many_files_are_decoded_in_worker_processes(tmp_path, repo_root):
    from segplug.data_preparation import generate_shapes
    root = tmp_path / 'many'
    generate_shapes(str(root), num_train=110, num_val=0, size=32)
    _image(root, 'train_00100').write_bytes(b'\xff\xd8\xff')
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_shapes.py')
    cfg.train_dataloader.dataset.data_root = str(root)
    with pytest.raises(
            DataError,
            match='image does not decode .1.: '
            f'{_image(root, "train_00100")}'):
        check_data(cfg, [TRAIN])
    cfg.data_check = 'warn'
    with pytest.warns(UserWarning, match='these 1 samples are left out'):
        summary = check_data(cfg, [TRAIN])
    # the workers' facts were cached
    assert summary.files == 220 and summary.decoded == 0
    assert summary.left_out == 1


def test_warn_mode_leaves_bad_samples_out(voc):
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    root, cfg = voc
    _image(root).write_bytes(b'')
    os.remove(_label(root, 'val_00001'))
    cfg.data_check = 'warn'
    with pytest.warns(
            UserWarning,
            match=r'data check: 2 problems .*these 2 '
            'samples are left out'):
        summary = check_data(cfg, LOADERS)
    assert summary.left_out == 2
    excluded = open(osp.join(cfg.work_dir, 'data_check_excluded.txt')).read()
    assert str(_image(root)) in excluded and 'val_00001.jpg' in excluded
    assert 'train_00003' not in str(cfg.train_dataloader.dataset.indices)
    with DefaultScope.overwrite_default_scope('mmseg'):
        train = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(train) == 15
    assert str(_image(root)) not in [
        train.get_data_info(i)['img_path'] for i in range(len(train))
    ]
    # a later clean check removes the stale lists
    cfg.data_check = 'error'
    check_data(cfg, LOADERS)
    assert not osp.exists(osp.join(cfg.work_dir, 'data_check_excluded.txt'))


def test_off_mode_reads_no_sample_but_still_checks_paths(voc):
    root, cfg = voc
    _image(root).write_bytes(b'')
    cfg.data_check = 'off'
    assert check_data(cfg, LOADERS) is None
    cfg.train_dataloader.dataset.data_root = str(root / 'absent')
    with pytest.raises(DataNotFoundError):
        check_data(cfg, LOADERS)


def test_unknown_mode_names_the_key(voc):
    _, cfg = voc
    cfg.data_check = 'warning'
    with pytest.raises(
            ConfigError,
            match="data_check: expected 'error', "
            "'warn' or 'off', got 'warning'"):
        check_data(cfg, LOADERS)


def test_detection_image_of_another_size_than_annotated(
        shapes_root, tmp_path, repo_root):
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    ann_file = root / 'annotations' / 'instances_val.json'
    coco = json.loads(ann_file.read_text())
    coco['images'][1]['width'] = 80
    ann_file.write_text(json.dumps(coco))
    cfg = Config.fromfile(f'{repo_root}/configs/mask_rcnn/'
                          'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    cfg.val_dataloader.dataset.data_root = str(root)
    cfg.val_evaluator.ann_file = str(ann_file)
    msg = _error(cfg, [VAL])
    name = coco['images'][1]['file_name']
    assert (
        "image size differs from the annotation file's width and height "
        f'(1): {root}/JPEGImages/{name} (64x64, annotation file 80x64)') in msg
