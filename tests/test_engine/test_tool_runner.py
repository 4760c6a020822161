import pytest

from segplug.engine import DataNotFoundError, load_config, user_errors_exit


def test_work_dir_precedence(repo_root):
    path = f'{repo_root}/configs/deeplabv3plus_shapes.py'
    assert load_config(path).work_dir == './work_dirs/deeplabv3plus_shapes'
    cfg = load_config(
        path, work_dir='/tmp/x', cfg_options={'train_cfg.max_iters': 7})
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


def test_config_text_is_formatted_once_per_content(repo_root, monkeypatch):
    import copy

    from mmengine.config import Config
    from mmengine.config import config as config_module
    path = f'{repo_root}/configs/deeplabv3plus_shapes.py'
    cfg = load_config(path, cfg_options={'train_cfg.max_iters': 11})
    plain = Config.fromfile(path)
    plain.merge_from_dict({'train_cfg.max_iters': 11})
    plain.launcher, plain.work_dir = cfg.launcher, cfg.work_dir
    calls = []
    format_code = config_module.FormatCode
    monkeypatch.setattr(
        config_module, 'FormatCode',
        lambda *a, **k: calls.append(1) or format_code(*a, **k))
    text = cfg.pretty_text
    assert text == plain.pretty_text  # mmengine's own text
    assert len(calls) == 2
    # the Runner's deep copy keeps the class and the text is reused
    assert copy.deepcopy(cfg).pretty_text == text and len(calls) == 2
    cfg.train_cfg.max_iters = 12  # an edit is formatted anew
    assert 'max_iters=12' in cfg.pretty_text and len(calls) == 3


def test_the_loops_loader_workers_stop_when_a_run_ends():
    """The loaders a run's loops built keep persistent workers; left to the
    garbage collector, each would wait seconds in whatever runs next."""
    from types import SimpleNamespace

    import torch
    from torch.utils.data import DataLoader

    from segplug.engine.tool_runner import _stop_loader_workers
    loader = DataLoader(
        torch.arange(4), num_workers=1, persistent_workers=True)
    next(iter(loader))
    workers = loader._iterator._workers
    assert all(w.is_alive() for w in workers)
    runner = SimpleNamespace(
        _train_dataloader=dict(batch_size=1),  # a config, as mmengine keeps
        _train_loop=SimpleNamespace(dataloader=loader),
        _val_loop=dict(type='ValLoop'))  # never built
    _stop_loader_workers(runner)
    assert loader._iterator is None
    assert not any(w.is_alive() for w in workers)
