"""segplug's tools on an mmdet config (scope, visualizer and evaluators
from the config alone), and the same config under mmdet's own scripts."""
import json
import os
import os.path as osp
import pickle
import re

import mmdet
import pytest

from ..utils import read_log, shapes_options, shared_training

CONFIG = 'configs/mask_rcnn/mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py'
MMDET_TOOLS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools')
pytestmark = pytest.mark.slow


def _coco_options(shapes_root, iters):
    """shapes_options plus the COCO metric's ground-truth file."""
    gt = osp.join(shapes_root, 'annotations', 'instances_val.json')
    return shapes_options(shapes_root, iters) + [
        f'val_evaluator.ann_file={gt}', f'test_evaluator.ann_file={gt}'
    ]


def _segm_map(text):
    found = re.findall(r'coco/segm_mAP: ([-0-9.]+)', text)
    assert found, text[-3000:]
    return float(found[-1])


@pytest.fixture(scope='module')
def trained(run_tool, shapes_root, tmp_path_factory):
    """tools/train.py on the shapes Mask R-CNN, 4 iterations, once per test
    run (whichever pytest-xdist workers run the tests here)."""
    work = shared_training(run_tool, tmp_path_factory, 'mask-rcnn-4-iters',
                           CONFIG, _coco_options(shapes_root, 4))
    log = read_log(work)
    assert 'Iter(train) [4/4]' in log
    assert -1 <= _segm_map(log) <= 1
    return osp.join(work, 'iter_4.pth')


def test_test_tool_dumps_results_json_and_drawings(run_tool,
                                                   run_tool_in_process,
                                                   trained, shapes_root,
                                                   tmp_path):
    out, show = str(tmp_path / 'results.pkl'), str(tmp_path / 'show')
    prefix = str(tmp_path / 'coco')
    proc = run_tool([
        'tools/test.py', CONFIG, trained, '--work-dir',
        str(tmp_path / 'test'), '--out', out, '--show-dir', show
    ] + _coco_options(shapes_root, 4) +
                    [f'test_evaluator.outfile_prefix={prefix}'])
    assert -1 <= _segm_map(proc.stdout + proc.stderr) <= 1
    with open(out, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 8  # val images of the small shapes set
    assert {'img_id', 'pred_instances'} <= set(results[0])
    for kind in ('bbox', 'segm'):
        with open(f'{prefix}.{kind}.json') as f:
            assert isinstance(json.load(f), list)
    drawn = [f for _, _, fs in os.walk(show) for f in fs if f.endswith('.png')]
    assert len(drawn) == 8

    # format_only: the COCO json without evaluation (e.g. test-dev); the
    # tool in this process, as a command above
    prefix, work = str(tmp_path / 'submission'), str(tmp_path / 'format')
    run_tool_in_process(
        ['tools/test.py', CONFIG, trained, '--work-dir', work] +
        _coco_options(shapes_root, 4) + [
            'test_evaluator.format_only=True',
            f'test_evaluator.outfile_prefix={prefix}'
        ])
    assert osp.isfile(f'{prefix}.segm.json')
    log = read_log(work)
    assert 'Iter(test)' in log and 'coco/segm_mAP' not in log


def test_out_of_the_wrong_kind_is_one_clear_line(run_tool_in_process, trained,
                                                 shapes_root, tmp_path):
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process([
            'tools/test.py', CONFIG, trained, '--out',
            str(tmp_path / 'pred')
        ] + _coco_options(shapes_root, 4))
    msg = exc.value.code  # a string: exit status 1, the line on stderr
    assert isinstance(msg, str) and '\n' not in msg, msg
    assert msg.startswith(
        'error: --out: an mmdet config dumps its results to a .pkl')


def test_config_runs_under_mmdets_own_scripts(run_tool, python_exe, trained,
                                              shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    run_tool([
        python_exe,
        osp.join(MMDET_TOOLS, 'train.py'), CONFIG, '--work-dir', work
    ] + _coco_options(shapes_root, 4))
    assert 'Iter(train) [4/4]' in read_log(work)
    proc = run_tool([
        python_exe,
        osp.join(MMDET_TOOLS, 'test.py'), CONFIG, trained, '--work-dir',
        str(tmp_path / 'test')
    ] + _coco_options(shapes_root, 4))
    assert -1 <= _segm_map(proc.stdout + proc.stderr) <= 1
