"""Labels that pass the value check but cannot be right, each made for real
in a small shapes dataset, and the train labels' class frequencies."""
import os
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from segplug.engine import DataError, check_data, load_config
from segplug.engine.errors import ConfigError

CONFIG = 'configs/deeplabv3plus_shapes.py'
LOADERS = ['train_dataloader', 'val_dataloader']


@pytest.fixture
def shapes(tmp_path):
    from segplug.data_preparation import generate_shapes
    root = tmp_path / 'shapes'
    generate_shapes(str(root), num_train=6, num_val=3, size=32, seed=3)
    return root


def _cfg(repo_root, root, *options):
    from segplug.engine.checks.config.cfg_options import RawOption
    pairs = [
        f'{loader}.dataset.data_root={root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + list(options)
    os.chdir(repo_root)
    return load_config(
        CONFIG,
        cfg_options={
            k: RawOption(v)
            for k, v in (p.split('=', 1) for p in pairs)
        },
        work_dir=str(root.parent / 'w'))


def _rewrite_labels(root, split, change):
    folder = root / 'SegmentationClass'
    for name in (root / 'ImageSets' / 'Segmentation' /
                 f'{split}.txt').read_text().split():
        path = folder / f'{name}.png'
        label = np.array(Image.open(path))
        Image.fromarray(change(label).astype(np.uint8)).save(path)


def _error(cfg, start='label check: ') -> str:
    with pytest.raises(DataError) as exc:
        check_data(cfg, LOADERS)
    message = str(exc.value)
    assert '\n' not in message and message.startswith(start)
    return message


def test_frequencies_of_the_train_labels(repo_root, shapes):
    summary = check_data(_cfg(repo_root, shapes), LOADERS)
    pixels = [
        np.array(Image.open(shapes / 'SegmentationClass' / f'{n}.png'))
        for n in (shapes / 'ImageSets' / 'Segmentation' /
                  'train.txt').read_text().split()
    ]
    every = np.concatenate([p.ravel() for p in pixels])
    share = 100 * np.mean(every == 0)
    assert summary.frequencies.startswith(f'background {share:.1f}%, ')
    assert summary.frequencies.endswith(
        f'ignored {100 * np.mean(every == 255):.1f}% of {every.size:,} '
        'pixels')


def test_binary_masks_stored_as_0_and_255(repo_root, shapes):
    _rewrite_labels(shapes, 'train', lambda a: np.where(
        (a > 0) & (a < 255), 255, 0))
    message = _error(_cfg(repo_root, shapes))
    assert ('train labels hold only 0 and 255, and 255 is the ignore '
            'index: binary masks stored as 0/255?') in message
    assert message.endswith('; or go on with --cfg-options label_check=warn')


def test_every_label_one_class(repo_root, shapes):
    _rewrite_labels(shapes, 'train', lambda a: np.ones_like(a))
    message = _error(_cfg(repo_root, shapes))
    assert 'every train label pixel is class circle or ignored' in message


def test_reduce_zero_label_on_labels_whose_zero_is_background(
        repo_root, shapes):
    message = _error(
        _cfg(repo_root, shapes,
             'train_dataloader.dataset.reduce_zero_label=True'))
    assert ("train_dataloader: reduce_zero_label=True ignores label 0 and "
            "shifts every class down by one, but the first class is "
            "'background'") in message


def test_labels_saved_as_jpeg(repo_root, shapes):
    folder = shapes / 'SegmentationClass'
    for png in folder.glob('*.png'):
        cv2.imwrite(str(png.with_suffix('.jpg')), cv2.imread(str(png), 0))
    message = _error(
        _cfg(repo_root, shapes, 'train_dataloader.dataset.seg_map_suffix='
             '.jpg', 'val_dataloader.dataset.seg_map_suffix=.jpg'),
        start='data check: ')
    # the compression's values out of range are the data check's problems;
    # the label check names their cause
    assert 'label values outside [0, 5)' in message
    assert 'train_dataloader: 6 labels saved as JPEG (' in message
    assert 'val_dataloader: 3 labels saved as JPEG (' in message


def test_val_samples_that_are_train_samples_and_ids_listed_twice(
        repo_root, shapes):
    splits = shapes / 'ImageSets' / 'Segmentation'
    train = splits / 'train.txt'
    ids = train.read_text().split()
    mixed = splits / 'mixed.txt'
    mixed.write_text('\n'.join(ids[:2] +
                               (splits / 'val.txt').read_text().split()))
    train.write_text('\n'.join(ids + ids[:1]))
    message = _error(
        _cfg(
            repo_root, shapes,
            'val_dataloader.dataset.ann_file=ImageSets/Segmentation/'
            'mixed.txt'))
    assert 'lists 1 samples more than once' in message
    assert 'val_dataloader: 2 of its samples are train samples too' in message


def test_images_whose_extension_differs_in_case(repo_root, shapes):
    images = shapes / 'JPEGImages'
    shutil.move(images / 'train_00001.jpg', images / 'train_00001.JPG')
    message = _error(
        _cfg(repo_root, shapes, 'train_dataloader.dataset.ann_file=',
             'val_dataloader.dataset.ann_file=ImageSets/Segmentation/val.txt'))
    assert (f'train_dataloader: 1 images in {images} end in .JPG, not .jpg, '
            f'and are not read ({images}/train_00001.JPG)') in message


def test_the_switch(repo_root, shapes):
    _rewrite_labels(shapes, 'train', lambda a: np.ones_like(a))
    with pytest.warns(UserWarning, match='every train label pixel'):
        check_data(_cfg(repo_root, shapes, 'label_check=warn'), LOADERS)
    check_data(_cfg(repo_root, shapes, 'label_check=off'), LOADERS)
    with pytest.raises(ConfigError, match="label_check: expected 'error'"):
        check_data(_cfg(repo_root, shapes, 'label_check=never'), LOADERS)


def test_images_with_an_exif_orientation(repo_root, shapes):
    image = shapes / 'JPEGImages' / 'train_00002.jpg'
    with Image.open(image) as img:
        exif = img.getexif()
        exif[0x0112] = 3  # turned 180 degrees: the size stays
        img.save(image, exif=exif)
    message = _error(_cfg(repo_root, shapes))
    assert (f'train_dataloader: 1 images carry an EXIF orientation ({image}) '
            'that turns them as they are read without changing their size'
            ) in message


def test_labels_resized_with_interpolation(repo_root, shapes):
    """Objects of class 4 on background 0, scaled up with bilinear
    interpolation (image and label alike): 1, 2 and 3 appear at every
    edge, all within [0, 5), so the value check passes them."""
    names = (shapes / 'ImageSets' / 'Segmentation' /
             'train.txt').read_text().split()
    for name in names:
        image = shapes / 'JPEGImages' / f'{name}.jpg'
        cv2.imwrite(str(image), cv2.resize(cv2.imread(str(image)), (64, 64)))
        path = shapes / 'SegmentationClass' / f'{name}.png'
        label = np.array(Image.open(path))
        label = np.where((label > 0) & (label < 255), 4, 0).astype(np.uint8)
        Image.fromarray(
            cv2.resize(label, (64, 64),
                       interpolation=cv2.INTER_LINEAR)).save(path)
    message = _error(_cfg(repo_root, shapes))
    assert ('train labels: the values 1, 2, 3 appear only in one-pixel bands '
            'between two other classes') in message
    assert message.endswith('masks resized with interpolation? Resize labels '
                            'with nearest-neighbour only; or go on with '
                            '--cfg-options label_check=warn')
