"""tools/plot_logs.py on written scalars.json files and on a real run."""
import os.path as osp

import pytest
from PIL import Image

from segplug.analysis import find_scalars_files, read_scalars_lines
from ..test_analysis.scalars_files import mmseg_lines, write_run
from ..test_apis.trained import trained_run


def _plot(run_tool_in_process, args):
    """The tool's exit message, None when it succeeded."""
    try:
        run_tool_in_process(['tools/plot_logs.py'] + args)
    except SystemExit as exc:
        return exc.code
    return None


def test_two_runs_in_one_figure(run_tool_in_process, tmp_path, capsys):
    write_run(str(tmp_path / 'lr-0.01'), '20240101_000000', mmseg_lines())
    path = write_run(
        str(tmp_path / 'lr-0.1'), '20240101_000000', mmseg_lines())
    out = str(tmp_path / 'curves.png')
    assert _plot(run_tool_in_process, [
        str(tmp_path / 'lr-0.01'), path, '--keys', 'loss', 'mIoU', '--out', out
    ]) is None
    assert capsys.readouterr().out.strip() == f'curves of loss, mIoU: {out}'
    assert Image.open(out).size == (1000, 360)


def test_unknown_key_is_one_line(run_tool_in_process, tmp_path):
    write_run(str(tmp_path), 't', mmseg_lines())
    msg = _plot(
        run_tool_in_process,
        [str(tmp_path), '--keys', 'mDice', '--out',
         str(tmp_path / 'x.png')])
    assert msg.startswith('error: --keys mDice: in no run; the runs have: ')
    assert 'mIoU' in msg and '\n' not in msg
    assert not osp.exists(tmp_path / 'x.png')


def test_missing_or_empty_scalars_is_one_line(run_tool_in_process, tmp_path):
    msg = _plot(run_tool_in_process, [str(tmp_path / 'nowhere')])
    assert msg == f'error: no scalars.json in {tmp_path / "nowhere"}: ' \
        'no such file or folder'
    path = write_run(str(tmp_path / 'w'), 't', [])
    msg = _plot(run_tool_in_process, [str(tmp_path / 'w')])
    assert msg.startswith(f'error: {path} holds no scalars')


@pytest.mark.slow
def test_curves_of_a_real_run(run_tool, shapes_root, tmp_path_factory,
                              tmp_path):
    # 4 iterations, logged every 2 and validated at 2 and 4
    work = trained_run(run_tool, shapes_root, tmp_path_factory)
    out = str(tmp_path / 'curves.png')
    proc = run_tool(['tools/plot_logs.py', work, '--out', out])
    assert proc.stdout.strip() == \
        f'curves of loss, lr, aAcc, mIoU, mAcc: {out}'
    assert Image.open(out).size == (1500, 720)
    files = find_scalars_files(work)
    assert len(files) == 1
    lines = read_scalars_lines(files[0])
    assert [x['step'] for x in lines if 'mIoU' in x] == [2, 4]
    assert [x['iter'] for x in lines if 'loss' in x] == [2, 4]
