import pytest

from segplug.engine import (DataNotFoundError, load_config,
                            user_errors_exit)


def test_work_dir_precedence(repo_root):
    path = f'{repo_root}/configs/deeplabv3plus_shapes.py'
    assert load_config(path).work_dir == './work_dirs/deeplabv3plus_shapes'
    cfg = load_config(path, work_dir='/tmp/x',
                      cfg_options={'train_cfg.max_iters': 7})
    assert cfg.work_dir == '/tmp/x' and cfg.train_cfg.max_iters == 7
    assert load_config(path, launcher='pytorch').launcher == 'pytorch'


def test_user_errors_become_one_line_exit():
    with pytest.raises(SystemExit) as info:
        with user_errors_exit():
            raise DataNotFoundError('train_dataloader: data_root not found')
    assert info.value.code == 'error: train_dataloader: data_root not found'
    with pytest.raises(KeyError):  # anything else keeps its traceback
        with user_errors_exit():
            raise KeyError('bug')
