"""The config, the command line and where results go: each wrong one is one
``error:`` line through tools/train.py, before the run's first iteration
(nothing in the work dir but what the check needs)."""
import os
import os.path as osp

import pytest

from segplug.engine import load_config
from ..utils import shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _train_error(run_tool_in_process, args, capfd) -> str:
    """The one line a refused tools/train.py run exits with."""
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(['tools/train.py', *args])
    out = capfd.readouterr()
    assert 'Iter(train)' not in out.out + out.err
    code = exc.value.code
    if isinstance(code, str):
        message = code
    else:  # argparse: usage, then one line
        assert code == 2
        message = out.err.strip().splitlines()[-1]
    assert '\n' not in message and 'Traceback' not in out.err
    return message


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_syntax_error_names_the_file_and_line_of_the_chain(
        run_tool_in_process, tmp_path, capfd):
    base = _write(tmp_path / 'base.py', 'model = dict(\n    type="x",\n')
    child = _write(tmp_path / 'child.py', "_base_ = ['./base.py']\nx = 1\n")
    msg = _train_error(run_tool_in_process, [child], capfd)
    assert msg == (f"error: config {base}, line 1: syntax error: '(' was "
                   'never closed; fix the file')


def test_a_missing_base_names_the_config_and_the_closest_file(
        run_tool_in_process, tmp_path, capfd):
    _write(tmp_path / 'schedule.py', 'x = 1\n')
    child = _write(tmp_path / 'child.py', "_base_ = ['./schedul.py']\n")
    msg = _train_error(run_tool_in_process, [child], capfd)
    assert msg == (f"error: config {child}: _base_ './schedul.py' not found "
                   f'(looked for {tmp_path}/schedul.py); closest: '
                   f'{tmp_path}/schedule.py')


def test_a_config_that_fails_as_it_runs(run_tool_in_process, tmp_path, capfd):
    config = _write(tmp_path / 'c.py', 'crop = (64, 64)\nsize = crop_siz\n')
    msg = _train_error(run_tool_in_process, [config], capfd)
    assert msg.startswith(f'error: config {config} (or one of its bases) '
                          'fails as it runs: NameError: ')


def test_a_missing_config_names_the_closest(run_tool_in_process, capfd):
    msg = _train_error(run_tool_in_process, ['configs/deeplabv3plus_shape.py'],
                       capfd)
    assert msg.startswith('error: config not found: configs/deeplabv3plus_'
                          'shape.py; closest: configs/deeplabv3plus_shapes.py')


@pytest.mark.parametrize('option, expected', [
    ('train_cfg.max_iters=abc', "expected an int, as the config has (3000); "
     "got 'abc'"),
    ('train_cfg.max_iters=1e3', "expected an int"),
    ('model.backbone.norm_eval=maybe', 'expected true or false'),
    ('model.data_preprocessor.mean=[1,2', 'unbalanced brackets'),
])
def test_a_cfg_option_of_the_wrong_type(run_tool_in_process, tmp_path, capfd,
                                        option, expected):
    msg = _train_error(
        run_tool_in_process,
        [CONFIG, '--work-dir',
         str(tmp_path / 'w'), '--cfg-options', option], capfd)
    key, value = option.split('=', 1)
    assert msg.startswith(f'error: --cfg-options {key}={value}: ')
    assert expected in msg


def test_a_cfg_option_without_a_value_is_a_usage_error(run_tool_in_process,
                                                       capfd):
    msg = _train_error(run_tool_in_process,
                       [CONFIG, '--cfg-options', 'load_from'], capfd)
    assert msg.endswith("error: --cfg-options: expected KEY=VALUE, got "
                        "'load_from'")


def test_cfg_options_keep_paths_and_read_values_as_the_config_has_them():
    from segplug.engine.checks.config.cfg_options import RawOption
    raw = {
        k: RawOption(v)
        for k, v in {
            'load_from': '/data/runs/a,b c.pth',  # None in the config
            'work_dir': "'work_dirs/x,y'",
            'train_cfg.max_iters': '40',
            'optim_wrapper.optimizer.lr': '1e-3',
            'model.backbone.norm_eval': 'True',
            'model.data_preprocessor.mean': '1,2,3',
            'param_scheduler.1.end': '40',
            'model.auxiliary_head': 'None',
            'train_dataloader.dataset.metainfo': "{'classes': ('a', 'b')}",
        }.items()
    }
    cfg = load_config(CONFIG, cfg_options=raw)
    assert cfg.load_from == '/data/runs/a,b c.pth'
    assert cfg.work_dir == 'work_dirs/x,y'
    assert cfg.train_cfg.max_iters == 40
    assert cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.model.backbone.norm_eval is True
    assert cfg.model.data_preprocessor.mean == [1, 2, 3]
    assert cfg.param_scheduler[1].end == 40
    assert cfg.model.auxiliary_head is None
    assert cfg.train_dataloader.dataset.metainfo == {'classes': ('a', 'b')}


def test_launcher_pytorch_outside_torchrun(run_tool_in_process, monkeypatch,
                                           tmp_path, capfd):
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    msg = _train_error(
        run_tool_in_process,
        [CONFIG, '--launcher', 'pytorch', '--work-dir',
         str(tmp_path / 'w')], capfd)
    assert msg == (
        'error: --launcher pytorch: not started by its launcher (no RANK, '
        'WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment); start it '
        'with tools/dist_train.sh CONFIG GPUS (torchrun), or leave out '
        '--launcher for one process')


@pytest.mark.parametrize('encoding, problem', [
    ('utf-8-sig', 'starts with a UTF-8 byte-order mark'),
    ('utf-16', 'is UTF-16 text'),
])
def test_a_split_file_in_another_encoding(run_tool_in_process, shapes_root,
                                          tmp_path, capfd, encoding, problem):
    split = tmp_path / 'train.txt'
    split.write_text('train_00000\ntrain_00001\n', encoding=encoding)
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), *shapes_options(shapes_root, 4),
        f'train_dataloader.dataset.ann_file='
        f'{split}'
    ], capfd)
    assert msg == (f'error: train_dataloader: ann_file {split} {problem}; '
                   'save it as UTF-8 without a byte-order mark, one id a line')


def test_a_data_root_with_a_tilde(run_tool_in_process, tmp_path, capfd):
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        'train_dataloader.dataset.data_root=~/segplug-no-such-data'
    ], capfd)
    home = osp.expanduser('~')
    assert msg == ('error: train_dataloader: data_root not found: '
                   "~/segplug-no-such-data; '~' is not expanded in a config: "
                   f'write {home}/segplug-no-such-data')


def test_a_broken_link_says_it_is_a_link(run_tool_in_process, shapes_root,
                                         tmp_path, capfd):
    root = tmp_path / 'shapes'
    os.symlink(tmp_path / 'moved-away', root)
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), *shapes_options(str(root), 4)
    ], capfd)
    assert msg == (f'error: train_dataloader: data_root not found: {root}; it '
                   f'is a symbolic link to {tmp_path}/moved-away, which does '
                   'not exist; fix the link')


def test_a_broken_image_link_is_named_as_one(run_tool_in_process, tmp_path,
                                             capfd):
    from segplug.data_preparation import generate_shapes
    root = tmp_path / 'shapes'
    generate_shapes(str(root), num_train=4, num_val=2, size=32, seed=0)
    image = root / 'JPEGImages' / 'train_00001.jpg'
    image.unlink()
    os.symlink('/mnt/gone/train_00001.jpg', image)
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), *shapes_options(str(root), 4)
    ], capfd)
    assert (f'image not found (1): {image} (a symbolic link to '
            '/mnt/gone/train_00001.jpg, which does not exist)') in msg


def test_load_from_a_folder_names_the_newest_checkpoint_in_it(
        run_tool_in_process, shapes_root, tmp_path, capfd):
    runs = tmp_path / 'runs'
    runs.mkdir()
    (runs / 'iter_4.pth').write_bytes(b'')
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), *shapes_options(shapes_root, 4),
        f'load_from={runs}'
    ], capfd)
    assert msg == (f'error: checkpoint {runs} is a folder, not a checkpoint '
                   f'file (the newest in it: {runs}/iter_4.pth)')


def test_a_work_dir_that_is_a_file(run_tool_in_process, tmp_path, capfd):
    work = tmp_path / 'results'
    work.write_text('notes\n')
    msg = _train_error(run_tool_in_process,
                       [CONFIG, '--work-dir', str(work)], capfd)
    assert msg == (f'error: work_dir {work} is a file, not a folder; give '
                   'another with --work-dir')
    assert work.read_text() == 'notes\n'


def test_a_work_dir_that_cannot_be_written(run_tool_in_process, capfd):
    # /proc takes no new folders, not even from root
    msg = _train_error(run_tool_in_process,
                       [CONFIG, '--work-dir', '/proc/segplug-work'], capfd)
    assert msg.startswith('error: work_dir /proc/segplug-work cannot be '
                          'written (')
    assert msg.endswith('); give another with --work-dir')


def test_a_tilde_work_dir_is_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.chdir(REPO)
    cfg = load_config(CONFIG, work_dir='~/runs/demo')
    assert cfg.work_dir == f'{tmp_path}/runs/demo'


def test_no_room_for_a_checkpoint_is_said_before_the_first_iteration(
        run_tool_in_process, shapes_root, tmp_path, capfd, monkeypatch):
    import shutil
    from collections import namedtuple
    usage = namedtuple('usage', 'total used free')
    monkeypatch.setattr(shutil, 'disk_usage',
                        lambda path: usage(1 << 30, 1 << 30, 1 << 20))
    work = tmp_path / 'w'
    msg = _train_error(
        run_tool_in_process,
        [CONFIG, '--work-dir',
         str(work), *shapes_options(shapes_root, 4)], capfd)
    assert msg.startswith(f'error: work_dir {work}: 1.0 MiB free on its '
                          'disk, and a checkpoint of this model takes about ')
    assert msg.endswith('MiB; free space, or give another with --work-dir')
    assert not list(work.glob('*.pth'))


def test_a_save_that_fails_keeps_the_last_checkpoint_and_no_partial_file(
        run_tool_in_process, shapes_root, tmp_path, capfd, monkeypatch):
    """The disk fills during the second save: the write fails halfway."""
    import errno

    from mmengine.fileio.backends.local_backend import LocalBackend

    from segplug.engine.checkpoints.loading import checkpoint_problem
    put, saves = LocalBackend.put, []

    def fill_the_disk(self, obj, filepath):
        saves.append(filepath)
        if len(saves) == 2:
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', fill_the_disk)
    work = tmp_path / 'w'
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process([
            'tools/train.py', CONFIG, '--work-dir',
            str(work), *shapes_options(shapes_root, 4, ckpt_interval=2)
        ])
    assert exc.value.code == (
        f'error: saving checkpoint {work}/iter_4.pth failed (No space left '
        'on device); no partial file is left, the last good checkpoint is '
        f'{work}/iter_2.pth; free space and resume with --resume')
    assert sorted(p.name for p in work.iterdir()
                  if p.suffix == '.pth' or '.tmp' in p.name) == ['iter_2.pth']
    assert checkpoint_problem(str(work / 'iter_2.pth')) is None


def _untrained_checkpoint(path, nan_key=None) -> str:
    """The shapes config's model as initialised, saved as a checkpoint;
    with one NaN in ``nan_key``."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import segplug  # noqa: F401
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    state = MODELS.build(cfg.model).state_dict()
    if nan_key:
        state[nan_key][0, 0] = float('nan')
    torch.save({'state_dict': state, 'meta': {}}, str(path))
    return str(path)


@pytest.mark.parametrize('tool', ['test', 'infer'])
def test_a_checkpoint_with_nan_weights(run_tool_in_process, shapes_root,
                                       tmp_path, capfd, tool):
    key = 'decode_head.conv_seg.weight'
    checkpoint = _untrained_checkpoint(tmp_path / 'nan.pth', key)
    args = [f'tools/{tool}.py', CONFIG, checkpoint]
    if tool == 'test':
        args += ['--work-dir', str(tmp_path / 'w')]
        args += shapes_options(shapes_root, 4)[:4]
    else:
        args += [f'{shapes_root}/JPEGImages', '--out', str(tmp_path / 'out')]
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(args)
    assert exc.value.code == (
        f'error: checkpoint {checkpoint} has weights that are NaN or inf '
        f'({key}): a model with them predicts nothing meaningful; use an '
        'earlier checkpoint of the run')
    out = capfd.readouterr()
    assert 'mIoU: ' not in out.out + out.err
    assert not (tmp_path / 'out').exists() or not any(
        (tmp_path / 'out').rglob('*.png'))


@pytest.mark.parametrize('tool', ['test', 'infer'])
def test_an_out_that_is_a_file(run_tool_in_process, shapes_root, tmp_path,
                               capfd, tool):
    out = tmp_path / 'results.txt'
    out.write_text('kept\n')
    args = [f'tools/{tool}.py', CONFIG, str(tmp_path / 'any.pth')]
    if tool == 'test':
        args += ['--work-dir', str(tmp_path / 'w'), '--out', str(out)]
    else:
        args += [f'{shapes_root}/JPEGImages', '--out', str(out)]
    if tool == 'test':  # the checkpoint must exist to get that far
        _untrained_checkpoint(tmp_path / 'any.pth')
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(args)
    assert exc.value.code.startswith(f'error: --out {out} is a file; ')
    assert out.read_text() == 'kept\n'


def test_infer_leaves_out_its_own_output_and_names_unread_formats(
        run_tool_in_process, shapes_root, tmp_path, capfd):
    import shutil
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('val_00000.jpg', 'val_00001.jpg'):
        shutil.copy(f'{shapes_root}/JPEGImages/{name}', folder)
    (folder / 'phone.heic').write_bytes(b'\x00\x00\x00\x18ftypheic')
    (folder / 'anim.gif').write_bytes(b'GIF89a')
    checkpoint = _untrained_checkpoint(tmp_path / 'm.pth')
    args = [
        'tools/infer.py', CONFIG, checkpoint,
        str(folder), '--out',
        str(folder / 'out')
    ]
    run_tool_in_process(args)
    first = capfd.readouterr().out
    assert 'predicted 2 images, skipped 0' in first
    assert ('not read: 2 images in formats infer does not read (1 .gif, '
            '1 .heic); convert them to .png or .jpg to predict them') in first
    run_tool_in_process(args)
    second = capfd.readouterr().out
    assert 'predicted 2 images, skipped 0' in second
    assert (f'left out 4 files under the output folder {folder}/out, which '
            'lies inside an input folder') in second


def test_a_palette_shorter_than_the_classes(run_tool_in_process, shapes_root,
                                            tmp_path, capfd):
    metainfo = ("{'classes': ('background', 'circle', 'square', 'triangle', "
                "'star'), 'palette': [[0, 0, 0], [255, 0, 0]]}")
    msg = _train_error(run_tool_in_process, [
        CONFIG, '--work-dir',
        str(tmp_path / 'w'), *shapes_options(shapes_root, 4),
        f'train_dataloader.dataset.metainfo={metainfo}'
    ], capfd)
    assert msg.startswith('error: train_dataloader: its dataset '
                          '(ShapesDataset) cannot be built: ValueError: '
                          'palette does not match classes')


def test_coco_classes_that_are_no_category_of_the_file(run_tool_in_process,
                                                       shapes_root, tmp_path):
    config = ('configs/mask_rcnn/'
              'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process([
            'tools/check_data.py', config, '--work-dir',
            str(tmp_path / 'w'), '--cfg-options', *[
                f'{loader}.dataset.data_root={shapes_root}/'
                for loader in ('train_dataloader', 'val_dataloader',
                               'test_dataloader')
            ], "train_dataloader.dataset.metainfo={'classes': ('cat', 'dog')}"
        ])
    assert ('split file lists no samples (1): '
            f'{shapes_root}/annotations/instances_train.json (it has 16 '
            'images, but none of the classes cat, dog is one of its '
            'categories (circle, square, triangle, star); set '
            "metainfo.classes to the file's category names)") in str(
                exc.value.code)


def test_crf_on_an_image_it_has_not_the_memory_for(run_tool_in_process,
                                                   tmp_path, capfd,
                                                   monkeypatch):
    import cv2
    import numpy as np

    from segplug.apis import pytorch_segmenter
    monkeypatch.setattr(pytorch_segmenter, '_available_bytes',
                        lambda device: 200 << 20)
    photo = str(tmp_path / 'photo.jpg')
    cv2.imwrite(photo, np.full((1200, 1600, 3), 128, np.uint8))
    checkpoint = _untrained_checkpoint(tmp_path / 'm.pth')
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process([
            'tools/infer.py', CONFIG, checkpoint, photo, '--crf', '--out',
            str(tmp_path / 'out')
        ])
    # 1600 x 1200 pixels x 6 x 96 bytes
    assert exc.value.code == (
        'error: the dense CRF on a 1600x1200 image of 5 classes needs about '
        '1.0 GiB, and 0.2 GiB are free; downscale the image, or predict '
        'without the CRF')
