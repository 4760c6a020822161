"""SegplugRunner and AtomicCheckpointHook: saves a failure cannot tear, and
checkpoints that must fit the model, directly and through the tools."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.model import BaseModel
from torch import nn

from segplug.engine import (CheckpointError, SegplugRunner, TrainingError,
                            load_from_local, use_atomic_checkpoints)
from segplug.engine.checkpoints.loading import checkpoint_problem
from segplug.engine.interrupts import Interrupted
from ..utils import read_log, shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.sum()) if mode == 'loss' else out


class _BodyHead(_Toy):
    """A small body and a large head (as ASPP on a ResNet-50)."""

    def __init__(self, classes=2):
        super().__init__()
        self.linear = nn.Sequential(
            nn.Linear(2, 4), nn.Linear(4, 64), nn.Linear(64, classes))


def _toy_runner(work_dir, iters, model=None, **hook):
    return SegplugRunner(
        model=model or _Toy(),
        work_dir=str(work_dir),
        experiment_name=f'toy_{osp.basename(str(work_dir))}_{iters}',
        train_dataloader=dict(
            # more batches than iterations: mmengine sleeps 2 s at each wrap
            dataset=[dict(inputs=torch.ones(2))] * 8,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        default_hooks=dict(
            checkpoint=dict(
                type='AtomicCheckpointHook',
                by_epoch=False,
                interval=1,
                **hook)))


def test_failed_save_leaves_the_kept_checkpoint(tmp_path, monkeypatch):
    """With max_keep_ckpts=1 mmengine removes iter_1.pth before it saves
    iter_2.pth; here a save that dies half-written (disk full, a kill)
    leaves iter_1.pth whole and nothing under iter_2.pth's name."""
    put = LocalBackend.put

    def put_half_then_fail(self, obj, filepath):
        if 'iter_2' in str(filepath):
            put(self, obj[:len(obj) // 2], filepath)
            assert osp.basename(filepath).startswith('.iter_2.pth.tmp-')
            raise OSError(28, 'No space left on device')
        put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put_half_then_fail)
    with pytest.raises(
            TrainingError,
            match=r'iter_2.pth failed \(No space left on device\); no '
            r'partial file is left, the last good checkpoint is .*iter_1.pth'):
        _toy_runner(tmp_path, 2, max_keep_ckpts=1).train()
    assert sorted(n for n in os.listdir(tmp_path)
                  if 'iter' in n) == ['iter_1.pth']
    assert checkpoint_problem(str(tmp_path / 'iter_1.pth')) is None
    assert load_from_local(str(tmp_path / 'iter_1.pth'))['meta']['iter'] == 1
    with open(tmp_path / 'last_checkpoint') as f:
        assert f.read() == str(tmp_path / 'iter_1.pth')


def test_oldest_checkpoint_goes_only_after_the_new_one_is_saved(tmp_path):
    seen = []
    runner = _toy_runner(tmp_path, 3, max_keep_ckpts=1)
    save = runner.save_checkpoint

    def save_and_look(out_dir, filename, *args, **kwargs):
        save(out_dir, filename, *args, **kwargs)
        seen.append(sorted(n for n in os.listdir(out_dir) if 'iter_' in n))

    runner.save_checkpoint = save_and_look
    runner.train()
    assert seen == [['iter_1.pth'], ['iter_1.pth', 'iter_2.pth'],
                    ['iter_2.pth', 'iter_3.pth']]
    assert sorted(n for n in os.listdir(tmp_path)
                  if 'iter' in n) == ['iter_3.pth']
    with open(tmp_path / 'last_checkpoint') as f:
        assert f.read() == str(tmp_path / 'iter_3.pth')


def test_resume_refuses_a_weights_only_file(tmp_path):
    path = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': _Toy().state_dict()}, path)
    runner = _toy_runner(tmp_path / 'w', 1)
    with pytest.raises(Exception, match='holds no training state'):
        runner.resume(path)


def test_load_from_rule_for_training(tmp_path):
    runner = _toy_runner(tmp_path / 'w', 1, model=_BodyHead())
    body = {
        k: v
        for k, v in _BodyHead().state_dict().items()
        if k.startswith('linear.0.')
    }
    torch.save({'state_dict': body}, tmp_path / 'body.pth')
    # under half loads, but every tensor of the checkpoint does: a backbone
    runner.load_checkpoint(str(tmp_path / 'body.pth'))
    other = dict(body, **{'neck.weight': torch.ones(3)})
    torch.save({'state_dict': other}, tmp_path / 'other.pth')
    with pytest.raises(CheckpointError) as err:
        runner.load_checkpoint(str(tmp_path / 'other.pth'))
    msg = str(err.value)
    assert ('4 of 6 model tensors do not load (2.5% of the parameters '
            'load)') in msg
    assert 'linear.1.weight (not in the checkpoint)' in msg
    assert 'the checkpoint has 1 tensors the model lacks, e.g. neck.weight' \
        in msg
    assert "under half of the model's parameters would load" in msg
    # a new number of classes: most of it loads, with a warning
    classes = _BodyHead(classes=5).state_dict()
    torch.save({'state_dict': classes}, tmp_path / 'classes.pth')
    runner.load_checkpoint(str(tmp_path / 'classes.pth'))
    loaded = runner.model.linear[1].weight
    assert torch.equal(loaded, classes['linear.1.weight'])
    runner.cfg.load_partial = True
    runner.load_checkpoint(str(tmp_path / 'other.pth'))


def _model_checkpoint(path, config, **options):
    """A checkpoint of ``config``'s model, built with ``options`` set."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    init_default_scope('mmseg')
    torch.save({
        'meta': {},
        'state_dict': MODELS.build(cfg.model).state_dict()
    }, path)
    return path


def _exit_message(run_tool_in_process, args):
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(args)
    return exc.value.code


# In this process, a persistent dataloader worker left behind costs the
# next test seconds of shutdown when it is collected.
_NO_WORKERS = [
    f'{loader}_dataloader.{key}' for loader in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def _test_args(ckpt, work, shapes_root, *options):
    return (['tools/test.py', CONFIG, ckpt, '--work-dir',
             str(work)] + shapes_options(shapes_root, 3)[:4] +
            # a logger of its own: runs in one second share mmengine's name
            [f'experiment_name={work.parent.name}_{work.name}'] + _NO_WORKERS +
            list(options))


def test_test_tool_refuses_another_architecture(run_tool_in_process,
                                                shapes_root, tmp_path, capfd):
    ckpt = _model_checkpoint(
        str(tmp_path / 'fcn8s.pth'),
        'configs/fcn/fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
    msg = _exit_message(run_tool_in_process,
                        _test_args(ckpt, tmp_path / 't', shapes_root))
    assert msg.startswith(f'error: checkpoint {ckpt} does not fit the '
                          'model: ')
    assert '\n' not in msg
    # shape mismatches first, then what is missing, then what is foreign
    assert ('181 of 182 model tensors do not load (0.0% of the parameters '
            'load): decode_head.conv_seg.weight (checkpoint [5, 5, 1, 1], '
            'model [5, 64, 1, 1]), backbone.stem.0.weight (not in the '
            'checkpoint)') in msg
    assert ('the checkpoint has 98 tensors the model lacks, e.g. '
            'backbone.stages.0.0.conv.weight') in msg
    assert 'load_partial=True' in msg
    out = capfd.readouterr()
    assert 'mIoU: ' not in out.out + out.err
    assert 'Iter(test)' not in read_log(str(tmp_path / 't'))


def test_classifier_mismatch_fails_tests_unless_partial_on_purpose(
        run_tool_in_process, shapes_root, tmp_path, capfd):
    ckpt = _model_checkpoint(
        str(tmp_path / 'c3.pth'), CONFIG,
        **{'model.decode_head.num_classes': 3})
    msg = _exit_message(run_tool_in_process,
                        _test_args(ckpt, tmp_path / 't', shapes_root))
    assert ('2 of 182 model tensors do not load' in msg
            and 'decode_head.conv_seg.weight (checkpoint [3, 64, 1, 1], '
            'model [5, 64, 1, 1])' in msg)
    assert 'testing needs every weight outside auxiliary_head' in msg
    run_tool_in_process(
        _test_args(ckpt, tmp_path / 'p', shapes_root, 'load_partial=True'))
    log = read_log(str(tmp_path / 'p'))
    assert 'WARNING - checkpoint' in log and 'initial values' in log
    assert 'mIoU: ' in log


def test_load_from_with_another_num_classes_trains(run_tool_in_process,
                                                   shapes_root, tmp_path):
    ckpt = _model_checkpoint(
        str(tmp_path / 'c3.pth'), CONFIG,
        **{'model.decode_head.num_classes': 3})
    work = tmp_path / 'w'
    run_tool_in_process([
        'tools/train.py', CONFIG, '--work-dir',
        str(work)
    ] + shapes_options(
        shapes_root,
        3,
        extra=[f'load_from={ckpt}', 'experiment_name=c3_train', *_NO_WORKERS]))
    log = read_log(str(work))
    assert f'checkpoint {ckpt} does not fit the model: 2 of 182' in log
    assert 'decode_head.conv_seg.weight (checkpoint [3, 64, 1, 1]' in log
    assert 'Iter(train) [2/3]' in log
    assert osp.isfile(work / 'iter_3.pth')


@pytest.mark.parametrize('kind', ['text', 'jpeg', 'truncated'])
def test_test_tool_names_a_file_that_is_no_checkpoint(run_tool_in_process,
                                                      shapes_root, tmp_path,
                                                      capfd, kind):
    path = str(tmp_path / 'model.pth')
    if kind == 'text':
        with open(path, 'w') as f:
            f.write('<html>404 Not Found</html>\n')
    elif kind == 'jpeg':
        with open(path, 'wb') as f:
            f.write(b'\xff\xd8\xff\xe0' + bytes(64))
    else:
        torch.save({'state_dict': {'w': torch.ones(999)}}, path)
        with open(path, 'r+b') as f:
            f.truncate(os.path.getsize(path) // 2)
    msg = _exit_message(run_tool_in_process,
                        _test_args(path, tmp_path / 't', shapes_root))
    expected = {
        'text': "not a PyTorch checkpoint (a text file starting "
        "'<html>404",
        'jpeg': 'not a PyTorch checkpoint (a JPEG image)',
        'truncated': 'truncated or corrupt'
    }[kind]
    assert msg.startswith(f'error: checkpoint {path} is {expected}')
    assert '\n' not in msg
    out = capfd.readouterr()
    assert 'mIoU: ' not in out.out + out.err


@pytest.mark.parametrize(
    'kind', ['CheckpointHook', 'mmengine.CheckpointHook', CheckpointHook])
def test_tools_swap_in_the_atomic_hook(kind):
    cfg = Config(
        dict(
            default_hooks=dict(
                checkpoint=dict(type=kind, interval=7),
                logger=dict(type='LoggerHook')),
            custom_hooks=[dict(type=kind, interval=3),
                          dict(type='EMAHook')]))
    use_atomic_checkpoints(cfg)
    assert cfg.default_hooks.checkpoint == dict(
        type='AtomicCheckpointHook', interval=7)
    assert cfg.default_hooks.logger.type == 'LoggerHook'
    assert [h['type']
            for h in cfg.custom_hooks] == ['AtomicCheckpointHook', 'EMAHook']


class _SignalledAt:
    """Eight samples; fetching ``at`` is where the job's SIGTERM comes and
    its loader's worker dies handing the batch over (``error``)."""

    def __init__(self, at, error):
        self.at, self.error = at, error

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.at:
            import signal

            from segplug.engine.interrupts import FLAG
            FLAG.signum = signal.SIGTERM
            raise self.error
        return dict(inputs=torch.ones(2))


@pytest.mark.parametrize('error', [
    ConnectionResetError(104, 'Connection reset by peer'),
    EOFError(),
    RuntimeError('DataLoader worker (pid 1) is killed by signal: Terminated.')
])
def test_a_worker_killed_by_the_signal_between_iterations_saves_the_last(
        tmp_path, error):
    runner = _toy_runner(tmp_path, 8)
    # the third iteration's batch (samples 4, 5) never arrives
    runner._train_dataloader['dataset'] = _SignalledAt(4, error)
    with pytest.raises(Interrupted) as info:
        runner.train()
    assert str(info.value) == (
        f'SIGTERM at iteration 2/8: saved {tmp_path}/iter_2.pth; resume '
        'with the same command and --resume')
    assert info.value.exit_code == 143


def test_the_same_error_without_a_signal_is_raised(tmp_path):
    runner = _toy_runner(tmp_path, 8)

    class _Broken(_SignalledAt):

        def __getitem__(self, i):
            if i == 4:
                raise ConnectionResetError(104, 'Connection reset by peer')
            return dict(inputs=torch.ones(2))

    runner._train_dataloader['dataset'] = _Broken(4, None)
    with pytest.raises(ConnectionResetError):
        runner.train()
