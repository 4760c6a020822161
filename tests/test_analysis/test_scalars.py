import os
import os.path as osp

import pytest

from segplug.analysis import (find_scalars_files, group_scalars, load_run,
                              read_scalars_lines, select_keys)
from segplug.engine import ConfigError, DataError, DataNotFoundError
from .scalars_files import mmdet_epoch_lines, mmseg_lines, write_run


def _touch_later(path, seconds):
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + seconds, stat.st_mtime + seconds))


def test_train_and_val_curves_are_grouped(tmp_path):
    write_run(str(tmp_path), '20240101_000000', mmseg_lines())
    run = load_run(str(tmp_path), 'a')
    assert run.train['loss'] == ([2, 4, 6], [0.5, 0.25, 1 / 6])
    assert run.train['lr'][0] == [2, 4, 6]
    assert run.val['mIoU'] == ([3, 6], [13.0, 16.0])
    assert 'data_time' not in run.train and 'step' not in run.val
    assert not run.val_by_epoch
    assert run.is_val('mIoU') and not run.is_val('loss')
    assert run.series('coco/bbox_mAP') is None


@pytest.mark.parametrize('where', ['work_dir', 'timestamp', 'file'])
def test_work_dir_timestamp_dir_or_file(tmp_path, where):
    path = write_run(str(tmp_path), '20240101_000000', mmseg_lines())
    given = dict(
        work_dir=str(tmp_path),
        timestamp=str(tmp_path / '20240101_000000'),
        file=path)[where]
    assert find_scalars_files(given) == [path]


def test_newest_of_two_fresh_runs(tmp_path):
    old = write_run(str(tmp_path), '20240101_000000', mmseg_lines())
    new = write_run(str(tmp_path), '20240102_000000', mmseg_lines())
    _touch_later(new, 10)
    assert find_scalars_files(str(tmp_path)) == [new]
    _touch_later(old, 20)  # order by time written, not by name
    assert find_scalars_files(str(tmp_path)) == [old]


def test_resumed_run_continues_the_earlier_one(tmp_path):
    # killed after iteration 6 (logged, not saved); resumed from iter 4
    first = write_run(str(tmp_path), 'a_first', mmseg_lines(2, 6))
    later = write_run(str(tmp_path), 'b_later', mmseg_lines(5, 10))
    _touch_later(later, 10)
    files = find_scalars_files(str(tmp_path))
    assert files == [first, later]
    run = group_scalars('r', [read_scalars_lines(f) for f in files])
    assert run.train['loss'][0] == [2, 4, 6, 8, 10]
    assert run.val['mIoU'][0] == [3, 6, 9]  # 6 once, from the later


def test_torn_last_line_is_left_out(tmp_path):
    path = write_run(str(tmp_path), 't', mmseg_lines(), tail='{"lr": 0.1, "lo')
    assert len(read_scalars_lines(path)) == len(mmseg_lines())


def test_mmdet_epoch_run_defaults_to_summary_aps(tmp_path):
    write_run(str(tmp_path), 't', mmdet_epoch_lines())
    run = load_run(str(tmp_path), 'det')
    assert run.val_by_epoch
    assert run.val['coco/bbox_mAP'] == ([1], [0.1])
    assert 'memory' not in run.train
    assert select_keys([run
                        ]) == ['loss', 'lr', 'coco/bbox_mAP', 'coco/segm_mAP']
    assert select_keys([run], ['coco/bbox_mAP_50']) == ['coco/bbox_mAP_50']


def test_default_keys_span_the_runs(tmp_path):
    write_run(str(tmp_path / 'seg'), 't', mmseg_lines())
    write_run(str(tmp_path / 'det'), 't', mmdet_epoch_lines())
    runs = [load_run(str(tmp_path / n), n) for n in ('seg', 'det')]
    assert select_keys(runs) == [
        'loss', 'lr', 'aAcc', 'mIoU', 'mAcc', 'coco/bbox_mAP', 'coco/segm_mAP'
    ]


def test_unknown_key_names_it_and_the_keys_there(tmp_path):
    write_run(str(tmp_path), 't', mmseg_lines())
    with pytest.raises(ConfigError) as err:
        select_keys([load_run(str(tmp_path), 'a')], ['loss', 'mDice'])
    msg = str(err.value)
    assert msg.startswith('--keys mDice: in no run')
    assert 'mIoU' in msg and 'lr' in msg and '\n' not in msg


def test_missing_and_empty_scalars(tmp_path):
    with pytest.raises(DataNotFoundError, match='no such file or folder'):
        find_scalars_files(str(tmp_path / 'nowhere'))
    with pytest.raises(DataNotFoundError, match='vis_data/scalars.json'):
        find_scalars_files(str(tmp_path))
    path = write_run(str(tmp_path), 't', [])
    with pytest.raises(DataError, match=f'{path} holds no scalars'):
        load_run(str(tmp_path), 'a')
    assert osp.isfile(path)
