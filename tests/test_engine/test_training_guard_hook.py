"""The training guard: batches without valid pixels, NaN and inf losses."""
import glob
import math
import os.path as osp
import re
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import OptimWrapper, OptimWrapperDict
from PIL import Image

from segplug.engine import (ConfigError, TrainingError, TrainingGuardHook,
                            add_training_guard)
from tests.utils import read_log, shapes_options

SHAPES = 'configs/deeplabv3plus_shapes.py'
TWO_ITERS = ['param_scheduler.1.end=3']
# loaders in this process: workers left by one in-process run cost the next
# one seconds at its garbage collection
NO_WORKERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def _ckpts(work):
    return sorted(osp.basename(p) for p in glob.glob(osp.join(work, '*.pth')))


def test_add_training_guard_adds_one_hook_with_the_mode():
    cfg = Config(
        dict(custom_hooks=[dict(type='EMAHook')], nonfinite_loss='skip'))
    add_training_guard(cfg)
    assert cfg.custom_hooks == [
        dict(type='EMAHook'),
        dict(type='TrainingGuardHook', nonfinite_loss='skip')
    ]
    mine = [dict(type='TrainingGuardHook', max_skips=3)]
    cfg = Config(dict(custom_hooks=mine))
    add_training_guard(cfg)
    assert cfg.custom_hooks == mine
    cfg = Config()
    add_training_guard(cfg)
    assert cfg.custom_hooks == [
        dict(type='TrainingGuardHook', nonfinite_loss='stop')
    ]
    with pytest.raises(
            ConfigError,
            match="nonfinite_loss: expected 'stop' "
            "or 'skip', got 'ignore'"):
        add_training_guard(dict(nonfinite_loss='ignore'))
    with pytest.raises(ConfigError, match='expected'):
        TrainingGuardHook(nonfinite_loss='warn')


class _Net(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        self.bn = torch.nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x)).sum()


def _runner(name, optim_wrapper=None, model=None):
    """What the hook reads of mmengine's Runner, with its own message hub.
    """
    model = model or _Net()
    optim_wrapper = optim_wrapper or OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1))
    return SimpleNamespace(
        model=model,
        optim_wrapper=optim_wrapper,
        iter=0,
        logger=MMLogger.get_instance('guard_test'),
        message_hub=MessageHub.get_instance(f'guard_test_{name}'))


def _step(hook, runner, x):
    """One training iteration as mmengine's loop runs it."""
    hook.before_train_iter(runner, runner.iter)
    loss = runner.model(x)
    runner.optim_wrapper.update_params(loss)
    outputs = dict(loss=loss.detach(), **{'decode.loss_ce': loss.detach()})
    hook.after_train_iter(runner, runner.iter, None, outputs)
    runner.iter += 1
    return outputs


def test_skip_mode_keeps_weights_and_statistics_and_stops_after_ten():
    hook = TrainingGuardHook(nonfinite_loss='skip')
    runner = _runner('skip')
    hook.before_train(runner)
    _step(hook, runner, torch.randn(4, 2))
    weights = {k: v.clone() for k, v in runner.model.state_dict().items()}
    bad = torch.full((4, 2), math.inf)
    for _ in range(9):
        assert _step(hook, runner, bad) == {}  # no nan reaches the log
    for key, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, weights[key])  # BN stats too
    assert runner.model.fc.weight.grad is None or not bool(
        runner.model.fc.weight.grad.any())
    _step(hook, runner, torch.randn(4, 2))  # a good step ends the streak
    for _ in range(9):
        _step(hook, runner, bad)
    with pytest.raises(TrainingError) as info:
        _step(hook, runner, bad)
    assert str(info.value).startswith(
        'iteration 21: loss is nan (decode.loss_ce=nan); stopped: 10 steps '
        'in a row had a non-finite loss, too many to skip (max_skips=10). '
        'Last good checkpoint: none saved yet')
    assert hook.skipped_steps == 19


def test_every_wrapper_of_a_wrapper_dict_is_guarded_then_restored():
    model = _Net()
    wrappers = OptimWrapperDict(
        fc=OptimWrapper(torch.optim.SGD(model.fc.parameters(), lr=0.1)),
        bn=OptimWrapper(torch.optim.SGD(model.bn.parameters(), lr=0.1)))
    runner = _runner('dict', wrappers, model)
    runner.message_hub.update_info('last_ckpt', '/work/iter_8.pth')  # resumed
    hook = TrainingGuardHook()
    hook.before_train(runner)
    before = model.fc.weight.clone()
    hook.before_train_iter(runner, 0)
    wrappers['fc'].update_params(model(torch.full((4, 2), math.nan)))
    torch.testing.assert_close(model.fc.weight, before)
    with pytest.raises(
            TrainingError,
            match=r'^iteration 1: loss is nan; '
            r'stopped before applying it\. Last good checkpoint: '
            r'/work/iter_8\.pth; resume from it with --resume'):
        hook.after_train_iter(runner, 0, None, {'loss': torch.tensor(0.)})
    hook.after_train(runner)
    assert all('update_params' not in vars(w) for w in wrappers.values())


def test_a_checkpoint_of_non_finite_weights_is_not_written():
    """CheckpointHook names the new file in the message hub before saving
    it: the last good one is the one before."""
    hook = TrainingGuardHook()
    runner = _runner('save')
    runner.message_hub.update_info('last_ckpt', '/work/iter_4.pth')
    hook.before_train(runner)
    runner.message_hub.update_info('last_ckpt', '/work/iter_6.pth')
    state = dict(
        a=torch.ones(2), b=torch.tensor([1., math.inf]), n=torch.tensor(3))
    with pytest.raises(TrainingError) as info:
        hook.before_save_checkpoint(runner,
                                    dict(state_dict=state, meta=dict(iter=6)))
    assert str(info.value).startswith(
        'iteration 6: 1 weight tensors are not finite (e.g. b); not saving a '
        'checkpoint of them. Last good checkpoint: /work/iter_4.pth')
    state['b'] = torch.zeros(2)
    hook.before_save_checkpoint(runner, dict(state_dict=state))
    runner.iter = 6
    with pytest.raises(
            TrainingError,
            match='iteration 7: loss is nan .* '
            'Last good checkpoint: /work/iter_6.pth;'):
        _step(hook, runner, torch.full((4, 2), math.nan))


def _blank_labels(src, dst):
    """A copy of the shapes data whose train labels are all 255."""
    shutil.copytree(src, dst)
    with open(osp.join(dst, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        names = f.read().split()
    for name in names:
        path = osp.join(dst, 'SegmentationClass', f'{name}.png')
        label = Image.open(path)
        blank = Image.fromarray(np.full_like(np.array(label), 255), mode='P')
        blank.putpalette(label.getpalette())
        blank.save(path)
    return str(dst)


def test_batches_without_valid_pixels_are_logged_as_such(
        run_tool_in_process, shapes_root, tmp_path):
    data = _blank_labels(shapes_root, tmp_path / 'blank')
    work = str(tmp_path / 'work')
    run_tool_in_process([
        'tools/train.py', SHAPES, '--work-dir', work
    ] + shapes_options(
        data,
        4,
        # labels all ignore index: the label check stops such data
        # before the run; this is the guard's own defence
        extra=NO_WORKERS +
        ['train_dataloader.batch_size=2', 'label_check=off']))
    log = read_log(work)
    assert 'Iter(train) [4/4]' in log
    assert 'acc_seg' not in log  # no accuracy 100, nor any other
    first = re.findall(
        r'iteration (\d): no valid pixels in this batch '
        r'\(every label pixel is the ignore index 255\): '
        rf'{re.escape(data)}/JPEGImages/train_\d+\.jpg, ', log)
    assert first == ['1', '2', '3']
    assert ('4 of 4 training batches had no valid pixels (the first at '
            'iteration 1)') in log


def _inf_config(tmp_path, repo_root):
    """The shapes config with half its train images turned to inf, as a
    broken decoder or normalisation would."""
    config = tmp_path / 'inf_images.py'
    config.write_text(
        f"_base_ = '{osp.join(repo_root, SHAPES)}'\n"
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='LoadImageFromFile'),\n"
        "    dict(type='LoadAnnotations'),\n"
        "    dict(type='RandomApply', prob=0.5, transforms=[\n"
        "        dict(type='RGB2Gray', weights=(float('inf'), ) * 3)]),\n"
        "    dict(type='PackSegInputs'),\n"
        ']))\n')
    return str(config)


def test_nan_loss_stops_the_run_naming_the_last_good_checkpoint(
        run_tool_in_process, shapes_root, tmp_path, repo_root):
    work = str(tmp_path / 'work')
    with pytest.raises(SystemExit) as info:
        run_tool_in_process([
            'tools/train.py',
            _inf_config(tmp_path, repo_root), '--work-dir', work
        ] + shapes_options(
            shapes_root,
            6,
            ckpt_interval=1,
            extra=NO_WORKERS + ['train_dataloader.batch_size=2']))
    message = info.value.code
    found = re.fullmatch(
        r'error: iteration (\d): loss is nan \(decode\.loss_ce=nan\); stopped '
        r'before applying it\. Last good checkpoint: (\S+); resume from it '
        r'with --resume after lowering the learning rate or checking the '
        r"data, or set nonfinite_loss='skip' to skip such steps", message)
    assert found, message
    bad = int(found.group(1))
    assert found.group(2) == osp.join(work, f'iter_{bad - 1}.pth')
    assert _ckpts(work) == [f'iter_{i}.pth' for i in range(1, bad)]


def test_skip_mode_skips_such_steps_and_finishes(run_tool_in_process,
                                                 shapes_root, tmp_path,
                                                 repo_root):
    work = str(tmp_path / 'work')
    run_tool_in_process([
        'tools/train.py',
        _inf_config(tmp_path, repo_root), '--work-dir', work
    ] + shapes_options(
        shapes_root,
        6,
        extra=NO_WORKERS +
        ['train_dataloader.batch_size=1', 'nonfinite_loss=skip']))
    log = read_log(work)
    skipped = re.findall(
        r"iteration (\d): loss is nan \(decode\.loss_ce="
        r"nan\); skipped this step \(nonfinite_loss='skip'"
        r'\), 1 in a row', log)
    assert skipped
    assert f'{len(skipped)} of 6 training steps were skipped' in log
    assert 'Iter(train) [6/6]' in log and 'loss: nan' not in log
    state = torch.load(osp.join(work, 'iter_6.pth'))['state_dict']
    assert all(bool(torch.isfinite(v).all()) for v in state.values())


def test_bad_nonfinite_loss_value_stops_at_start_up(run_tool_in_process,
                                                    shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    with pytest.raises(SystemExit) as info:
        run_tool_in_process(
            ['tools/train.py', SHAPES, '--work-dir', work] + shapes_options(
                shapes_root, 2, extra=TWO_ITERS + ['nonfinite_loss=warn']))
    assert info.value.code == ("error: nonfinite_loss: expected 'stop' or "
                               "'skip', got 'warn'")
    assert 'Iter(train)' not in read_log(work)
    assert _ckpts(work) == []
