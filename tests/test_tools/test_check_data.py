"""The data check through the tools: tools/check_data.py on its own, and
tools/train.py and tools/test.py stopping before their first iteration,
each with one ``error:`` line naming the broken file."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from ..utils import read_log, shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'


@pytest.fixture
def data(shapes_root, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    return root


def _exit(run_tool_in_process, args):
    """The tool's exit message, None for a clean exit."""
    with pytest.raises(SystemExit) as info:
        run_tool_in_process(args)
        raise SystemExit(None)
    return info.value.code


def _no_training(work):
    """Stopped at start-up: no training iteration logged, no checkpoint."""
    assert 'Iter(train)' not in (read_log(work) if osp.isdir(work) else '')
    assert not any(
        f.endswith('.pth') for _, _, files in os.walk(work) for f in files)


def test_check_data_passes_clean_data_and_says_what_it_read(
        run_tool_in_process, data, tmp_path, capsys):
    args = [
        'tools/check_data.py', CONFIG, '--work-dir',
        str(tmp_path / 'work')
    ] + shapes_options(str(data), 2)[:4]
    assert _exit(run_tool_in_process, args) is None
    out = capsys.readouterr().out
    # train (16), val (8) and test (the val set again)
    assert 'data check: 32 samples, 48 files (' in out
    assert out.rstrip().endswith('no problems')
    assert _exit(run_tool_in_process, args) is None
    assert '(100% from the cache)' in capsys.readouterr().out


def test_check_data_names_the_broken_file(run_tool_in_process, data, tmp_path):
    label = data / 'SegmentationClass' / 'val_00004.png'
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(label)
    work = tmp_path / 'work'
    msg = _exit(run_tool_in_process,
                ['tools/check_data.py', CONFIG, '--work-dir',
                 str(work)] + shapes_options(str(data), 2)[:4])
    assert msg.startswith('error: data check: ') and '\n' not in msg
    assert 'colour label, not class indices' in msg
    assert f'{label} (RGB, all channels equal)' in msg
    assert osp.isfile(work / 'data_check.txt')


@pytest.mark.parametrize('broken',
                         ['truncated_jpeg', 'val_label_size', 'empty_split'])
def test_train_stops_before_its_first_iteration(run_tool_in_process, data,
                                                tmp_path, broken):
    image = data / 'JPEGImages' / 'train_00005.jpg'
    label = data / 'SegmentationClass' / 'val_00003.png'
    split = data / 'ImageSets' / 'Segmentation' / 'train.txt'
    if broken == 'truncated_jpeg':
        image.write_bytes(image.read_bytes()[:500])
        named = f'image does not decode (1): {image}'
    elif broken == 'val_label_size':
        Image.open(label).crop((0, 0, 64, 50)).save(label)
        named = f'label size differs from its image (1): {label}'
    else:
        split.write_text('')
        named = f'split file lists no samples (1): {split}'
    work = str(tmp_path / 'work')
    msg = _exit(run_tool_in_process,
                ['tools/train.py', CONFIG, '--work-dir', work] +
                shapes_options(str(data), 2))
    assert msg.startswith('error: data check: ') and named in msg, msg
    _no_training(work)


def test_test_tool_checks_the_test_set(run_tool_in_process, data, tmp_path):
    label = data / 'SegmentationClass' / 'val_00006.png'
    os.remove(label)
    ckpt = tmp_path / 'never_read.pth'
    ckpt.write_bytes(b'')
    work = str(tmp_path / 'work')
    msg = _exit(run_tool_in_process,
                ['tools/test.py', CONFIG,
                 str(ckpt), '--work-dir', work] +
                shapes_options(str(data), 2)[:4])
    assert f'label not found (1): {label}' in msg
    assert '(test_dataloader 1)' in msg


def test_colour_labels_are_converted_back_to_indices(run_tool_in_process, data,
                                                     tmp_path, capsys):
    label = data / 'SegmentationClass' / 'train_00002.png'
    original = np.array(Image.open(label))
    rgb = np.array(Image.open(label).convert('RGB'))
    rgb[0, 0] = (1, 2, 3)  # no class's colour
    Image.fromarray(rgb).save(label)
    # indices written to all three channels
    grey = data / 'SegmentationClass' / 'val_00001.png'
    indices = np.array(Image.open(grey))
    Image.fromarray(np.repeat(indices[..., None], 3, 2)).save(grey)
    options = shapes_options(str(data), 2)[:4]
    work = str(tmp_path / 'work')
    assert _exit(
        run_tool_in_process,
        ['tools/convert_color_labels.py', CONFIG, '--work-dir', work] +
        options) is None
    out = capsys.readouterr().out
    assert 'converted 2 colour labels' in out
    np.testing.assert_array_equal(np.array(Image.open(grey)), indices)
    assert f'now the ignore index 255: {label} (1 pixels)' in out
    converted = np.array(Image.open(label))
    assert Image.open(label).mode == 'P'
    assert converted[0, 0] == 255
    converted[0, 0] = original[0, 0]
    np.testing.assert_array_equal(converted, original)
    assert osp.isfile(
        osp.join(work, 'colour_labels',
                 str(label).lstrip(os.sep)))
    assert _exit(run_tool_in_process,
                 ['tools/check_data.py', CONFIG, '--work-dir', work] +
                 options) is None
