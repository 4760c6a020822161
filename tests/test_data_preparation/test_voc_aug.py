"""prepare_voc on small files in the real VOC 2012 + SBD layout."""
import io
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from segplug.data_preparation import prepare_voc_aug, sbd_mat_to_label


def _sbd_mat(path, label):
    """A cls .mat as SBD ships it: struct GTcls with Boundaries,
    Segmentation and CategoriesPresent."""
    boundaries = np.empty((1, 1), dtype=object)  # a cell of sparse maps
    boundaries[0, 0] = np.zeros(label.shape, np.uint8)
    gt = dict(
        Boundaries=boundaries,
        Segmentation=label.astype(np.uint8),
        CategoriesPresent=np.unique(label[label > 0]).astype(np.uint8))
    savemat(path, dict(GTcls=gt))


@pytest.fixture
def voc_layout(tmp_path):
    """VOC: train a,b; val c. SBD: train a,d,e; val c,f (a, c overlap VOC)."""
    rng = np.random.default_rng(0)
    devkit, sbd = tmp_path / 'VOCdevkit', tmp_path / 'benchmark_RELEASE'
    voc = devkit / 'VOC2012'
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(voc / d)
    os.makedirs(sbd / 'dataset' / 'cls')
    (voc / 'ImageSets/Segmentation/train.txt').write_text('a\nb\n')
    (voc / 'ImageSets/Segmentation/val.txt').write_text('c\n')
    (sbd / 'dataset/train.txt').write_text('a\nd\ne\n')
    (sbd / 'dataset/val.txt').write_text('c\nf\n')
    labels = {}
    for name in 'abcdef':
        h, w = 37, 45
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
            voc / 'JPEGImages' / f'{name}.jpg')
        label = rng.integers(0, 21, (h, w)).astype(np.uint8)
        label[:3] = 255  # SBD has no void, but VOC labels do
        labels[name] = label
        if name in 'abc':
            Image.fromarray(
                label,
                mode='P').save(voc / 'SegmentationClass' / f'{name}.png')
        _sbd_mat(str(sbd / 'dataset/cls' / f'{name}.mat'), label % 21)
    return str(devkit), str(sbd), labels


def test_mat_reader_reads_sbd_layout(tmp_path):
    label = np.arange(12, dtype=np.uint8).reshape(3, 4)
    _sbd_mat(str(tmp_path / 'x.mat'), label)
    assert np.array_equal(sbd_mat_to_label(str(tmp_path / 'x.mat')), label)


def test_prepare_writes_aug_and_reports_counts(voc_layout):
    devkit, sbd, labels = voc_layout
    report = prepare_voc_aug(devkit, sbd, nproc=1)
    sets = osp.join(devkit, 'VOC2012/ImageSets/Segmentation')
    aug = open(osp.join(sets, 'aug.txt')).read().split()
    assert aug == ['d', 'e', 'f']
    assert open(osp.join(
        sets, 'trainaug.txt')).read().split() == ['a', 'b', 'd', 'e', 'f']
    for name in aug:
        png = Image.open(
            osp.join(devkit, 'VOC2012/SegmentationClassAug', name + '.png'))
        assert png.mode == 'P'
        assert np.array_equal(np.array(png), labels[name] % 21)
    assert '5 training images' in report
    assert 'expected VOC train 1464, val 1449 and 10582' in report


def test_bad_mat_and_missing_image_are_left_out_and_named(voc_layout):
    devkit, sbd, labels = voc_layout
    with open(osp.join(sbd, 'dataset/cls/d.mat'), 'wb') as f:
        f.write(b'not a mat file')
    _sbd_mat(osp.join(sbd, 'dataset/cls/e.mat'), np.full((4, 4), 40))
    os.remove(osp.join(devkit, 'VOC2012/JPEGImages/f.jpg'))
    report = prepare_voc_aug(devkit, sbd, nproc=1)
    aug = open(osp.join(devkit, 'VOC2012/ImageSets/Segmentation/aug.txt'))
    assert aug.read().split() == []
    assert 'd.mat: unreadable' in report
    assert 'e.mat: labels out of range 0..20: [40]' in report
    assert "['f']" in report


def test_voc_config_reads_prepared_layout(voc_layout, repo_root):
    from mmengine.config import Config
    from mmengine.dataset import ConcatDataset  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    import segplug  # noqa: F401
    devkit, sbd, _ = voc_layout
    prepare_voc_aug(devkit, sbd, nproc=1)
    cfg = Config.fromfile(osp.join(repo_root, 'configs/deeplabv3plus_voc.py'))
    init_default_scope('mmseg')
    root = osp.join(devkit, 'VOC2012')
    for ds in cfg.train_dataloader.dataset.datasets:
        ds.data_root = root
    cfg.val_dataloader.dataset.data_root = root
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(train) == 2 + 3
    sample = train[4]
    # The 37x45 image is rescaled by 0.5..2.0 of 512/37 and cropped at 512:
    # each side lies in [256, 512], and the label follows the image.
    h, w = sample['inputs'].shape[1:]
    assert 256 <= h <= 512 and 256 <= w <= 512
    assert sample['data_samples'].gt_sem_seg.data.shape[1:] == (h, w)
    assert sample['data_samples'].gt_sem_seg.data.max() <= 255
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(val) == 1 and val.metainfo['classes'][0] == 'background'


def test_cli_missing_sbd_is_one_line(tmp_path, repo_root):
    proc = subprocess.run([
        sys.executable, 'tools/prepare_voc.py', '--devkit',
        str(tmp_path / 'VOCdevkit'), '--sbd',
        str(tmp_path / 'sbd')
    ],
                          cwd=repo_root,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith('error: folder not found')
    assert len(proc.stderr.strip().splitlines()) == 1


class _Terminal(io.StringIO):

    def isatty(self):
        return True


def test_quiet_off_a_terminal_with_a_bar_on_one(voc_layout, capsys,
                                                monkeypatch):
    devkit, sbd, _ = voc_layout
    prepare_voc_aug(devkit, sbd, nproc=1)
    assert capsys.readouterr().err == ''
    for name in 'def':
        os.remove(
            osp.join(devkit, 'VOC2012/SegmentationClassAug', name + '.png'))
    terminal = _Terminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    prepare_voc_aug(devkit, sbd, nproc=1)
    text = terminal.getvalue()
    assert text.startswith('SBD: converting 3 labels\n')
    assert '3/3' in text and 'ETA' in text
