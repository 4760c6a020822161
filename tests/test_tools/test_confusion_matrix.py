"""tools/confusion_matrix.py end to end on a tiny trained model, and its
one-line errors."""
import os.path as osp
import re

import pytest
import torch
from PIL import Image

from segplug.analysis import find_scalars_files, read_scalars_lines
from ..test_apis.trained import CONFIG, trained_run


def _val_root(shapes_root):
    return ['--cfg-options', f'val_dataloader.dataset.data_root={shapes_root}']


def _exit_message(run_tool_in_process, args):
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(['tools/confusion_matrix.py'] + args)
    return exc.value.code


def test_missing_checkpoint_is_one_line(run_tool_in_process, shapes_root,
                                        tmp_path):
    missing = str(tmp_path / 'none.pth')
    msg = _exit_message(run_tool_in_process,
                        [CONFIG, missing] + _val_root(shapes_root))
    assert msg == f'error: checkpoint not found: {missing}'


def test_checkpoint_of_another_model_is_one_line(run_tool_in_process,
                                                 shapes_root, tmp_path):
    other = str(tmp_path / 'other.pth')
    torch.save({'state_dict': {'conv.weight': torch.zeros(3, 3, 1, 1)}}, other)
    msg = _exit_message(run_tool_in_process,
                        [CONFIG, other, '--out',
                         str(tmp_path / 'cm.png')] + _val_root(shapes_root))
    assert msg.startswith(f'error: checkpoint {other} does not fit the model')
    assert '\n' not in msg and not osp.exists(tmp_path / 'cm.png')


def test_missing_data_is_one_line(run_tool_in_process, tmp_path):
    missing = str(tmp_path / 'nowhere')
    msg = _exit_message(run_tool_in_process, [
        CONFIG,
        str(tmp_path / 'x.pth'), '--cfg-options',
        f'val_dataloader.dataset.data_root={missing}'
    ])
    assert msg.startswith('error: ') and missing in msg and '\n' not in msg


def test_detection_config_is_one_line(run_tool_in_process, tmp_path):
    config = ('configs/mask_rcnn/'
              'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    msg = _exit_message(run_tool_in_process, [config, str(tmp_path / 'x.pth')])
    assert msg.startswith('error: a confusion matrix of pixels needs a '
                          "semantic segmentation config: expected "
                          "default_scope 'mmseg', got 'mmdet'")


def _table(text):
    """{class: (IoU, Acc)} of the tool's table."""
    rows = re.findall(r'^\| (\S+) +\| +(\S+) \| +(\S+) \|$', text, re.M)
    return {name: (float(iou), float(acc)) for name, iou, acc in rows[1:]}


@pytest.mark.slow
def test_confusion_matrix_of_a_trained_model(run_tool, shapes_root,
                                             tmp_path_factory, tmp_path):
    work = trained_run(run_tool, shapes_root, tmp_path_factory)
    out = str(tmp_path / 'cm.png')
    proc = run_tool([
        'tools/confusion_matrix.py', CONFIG,
        osp.join(work, 'iter_4.pth'), '--out', out
    ] + _val_root(shapes_root))
    table = _table(proc.stdout)
    assert list(table) == [
        'background', 'circle', 'square', 'triangle', 'star', 'mean'
    ]
    assert proc.stdout.strip().endswith(f'confusion matrix: {out}')
    assert Image.open(out).size == (600, 500)  # 5 classes: 6 x 5 in
    # the same checkpoint's validation at iteration 4, by mmseg's IoUMetric
    val = [
        x for x in read_scalars_lines(find_scalars_files(work)[0])
        if 'mIoU' in x
    ][-1]
    assert table['mean'][0] == pytest.approx(val['mIoU'], abs=0.01)
    assert table['mean'][1] == pytest.approx(val['mAcc'], abs=0.01)
