"""tools/infer.py on images, folders, videos; PyTorch, onnxruntime and
mmdet models."""
import os
import os.path as osp
import re
import shutil
import sys
import types

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from segplug.apis import PytorchSegmenter, Segmenter, SegPrediction
from segplug.apis.drawing import blend
from ..test_apis.trained import CONFIG, val_images, varied_checkpoint

CLASSES = ('background', 'a', 'b')
PALETTE = [[0, 0, 0], [200, 0, 0], [0, 200, 0]]


class _FakeOnnx(Segmenter):
    """Class 1 left of the middle column, 2 right of it (background where
    the image's blue channel is 0)."""
    classes, palette = CLASSES, PALETTE
    made = []

    def __init__(self, onnx_path, crf=False, device='cpu'):
        self.made.append((onnx_path, crf, device))

    def predict(self, images, with_probs=False):
        return [_fake_prediction(img, with_probs) for img in images]


def _fake_prediction(img, with_probs):
    h, w = img.shape[:2]
    labels = np.where(np.arange(w) < w // 2, 1, 2)[None].repeat(h, 0)
    labels[img[..., 0] == 0] = 0
    probs = np.eye(3, dtype=np.float32)[labels].transpose(2, 0, 1)
    return SegPrediction(labels, probs if with_probs else None)


@pytest.fixture
def fake_onnx(monkeypatch):
    module = types.ModuleType('segplug.deploy')
    module.OnnxSegmenter = _FakeOnnx
    monkeypatch.setitem(sys.modules, 'segplug.deploy', module)
    _FakeOnnx.made.clear()
    return _FakeOnnx


def _write_images(folder):
    rng = np.random.default_rng(0)
    sizes = {'a.png': (20, 30), 'sub/b.jpg': (17, 9), 'sub/c.bmp': (33, 21)}
    for name, (h, w) in sizes.items():
        img = rng.integers(1, 256, (h, w, 3), dtype=np.uint8)
        img[:3, :, 0] = 0  # a background band
        os.makedirs(osp.dirname(osp.join(folder, name)), exist_ok=True)
        cv2.imwrite(osp.join(folder, name), img)
    with open(osp.join(folder, 'sub', 'broken.png'), 'w') as f:
        f.write('not an image')
    return sizes


def _write_video(path, frames=5, size=(24, 16), fps=7):
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    rng = np.random.default_rng(1)
    for _ in range(frames):
        writer.write(
            rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()


def _video_facts(path):
    capture = cv2.VideoCapture(path)
    frames = 0
    while capture.read()[0]:
        frames += 1
    facts = (frames, int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
             int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
             capture.get(cv2.CAP_PROP_FPS))
    capture.release()
    return facts


def _check_overlay(overlay, image, labels, palette, opacity=0.5):
    """The image area of the overlay equals the image exactly where the
    background (class 0) is predicted and differs wherever a class colour
    is far enough from the pixel to show at ``opacity``; the legend lies in
    the band below."""
    h, w = image.shape[:2]
    assert overlay.shape[0] > h and overlay.shape[1] >= w
    area = overlay[:h, :w]
    bg = labels == 0
    np.testing.assert_array_equal(area[bg], image[bg])
    colours = np.asarray(palette)[:, ::-1][labels]
    visible = (np.abs(colours - image.astype(int)) * opacity >= 1).any(-1)
    shows = visible & ~bg
    assert shows.any()
    assert (area[shows] != image[shows]).any(-1).all()
    np.testing.assert_array_equal(area, blend(image, labels, palette, opacity))


def test_folder_and_video_with_a_segmenter(run_tool_in_process, fake_onnx,
                                           tmp_path, capsys):
    sizes = _write_images(str(tmp_path / 'in'))
    _write_video(str(tmp_path / 'clip.mp4'))
    model = tmp_path / 'm.onnx'
    model.write_bytes(b'')
    out = str(tmp_path / 'out')
    run_tool_in_process([
        'tools/infer.py', CONFIG,
        str(model),
        str(tmp_path / 'in'),
        str(tmp_path / 'clip.mp4'), '--out', out, '--backend', 'onnxruntime',
        '--batch-size', '2', '--save-probs', '--save-frames', '--crf'
    ])
    captured = capsys.readouterr()
    assert fake_onnx.made == [(str(model), True, 'cpu')]
    assert 'sub/broken.png' in captured.err and 'warning: skipped' in (
        captured.err)
    assert (f'predicted 3 images and 5 video frames, skipped 1; results in '
            f'{out}') in captured.out
    for name, (h, w) in sizes.items():
        stem = osp.splitext(name)[0]
        image = cv2.imread(str(tmp_path / 'in' / name))
        expected = _fake_prediction(image, True)
        png = Image.open(osp.join(out, 'labels', stem + '.png'))
        assert png.mode == 'P' and png.size == (w, h)
        np.testing.assert_array_equal(np.array(png), expected.labels)
        overlay = cv2.imread(osp.join(out, 'overlays', stem + '.png'))
        _check_overlay(overlay, image, expected.labels, PALETTE)
        probs = np.load(osp.join(out, 'probs', stem + '.npy'))
        assert probs.dtype == np.float32 and probs.shape == (3, h, w)
    assert not osp.exists(osp.join(out, 'labels', 'sub', 'broken.png'))
    assert _video_facts(osp.join(out, 'clip_overlay.mp4')) == (5, 24, 16, 7)
    frames = sorted(os.listdir(osp.join(out, 'labels', 'clip')))
    assert frames == [f'{i:06d}.png' for i in range(5)]
    assert Image.open(osp.join(out, 'labels', 'clip',
                               frames[0])).size == (24, 16)


@pytest.mark.parametrize(
    'case', ['empty', 'checkpoint', 'config', 'onnx', 'fast-onnx'])
def test_user_errors_are_one_line(run_tool_in_process, tmp_path, case, capsys):
    (tmp_path / 'empty').mkdir()
    onnx = str(tmp_path / 'm.onnx')
    open(onnx, 'wb').close()
    image = str(tmp_path / 'x.png')
    cv2.imwrite(image, np.zeros((4, 4, 3), np.uint8))
    args, expected = {
        'empty':
        ([CONFIG, 'ckpt.pth',
          str(tmp_path / 'empty')], 'error: no images or videos found in'),
        'checkpoint': ([CONFIG, str(tmp_path / 'none.pth'), image],
                       f'error: checkpoint not found: {tmp_path}/none.pth'),
        'config': ([str(tmp_path / 'none.py'), 'ckpt.pth',
                    image], f'error: config not found: {tmp_path}/none.py'),
        'onnx':
        ([CONFIG,
          str(tmp_path / 'm.pth'), image, '--backend',
          'onnxruntime'], 'error: --backend onnxruntime: expected'),
        'fast-onnx':
        ([CONFIG, onnx, image, '--backend', 'onnxruntime',
          '--fast'], 'error: --fast is for --backend pytorch'),
    }[case]
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(['tools/infer.py'] + args)
    assert str(exc.value.code).startswith(expected)
    assert '\n' not in str(exc.value.code)


@pytest.mark.slow
def test_exit_status_and_one_line(run_tool, tmp_path):
    (tmp_path / 'empty').mkdir()
    proc = run_tool(
        ['tools/infer.py', CONFIG, 'none.pth',
         str(tmp_path / 'empty')],
        check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f'error: no images or videos found in {tmp_path}/empty; expected '
        'files ending in .jpg .jpeg .png .bmp .tif .tiff .webp .mp4 .avi '
        '.mov .mkv'
    ]


@pytest.fixture(scope='module')
def checkpoint(run_tool, shapes_root, tmp_path_factory):
    return varied_checkpoint(run_tool, shapes_root, tmp_path_factory)


@pytest.mark.slow
def test_labels_equal_the_pytorch_segmenter(run_tool_in_process, checkpoint,
                                            shapes_root, tmp_path, capsys):
    folder = tmp_path / 'in'
    shutil.copytree(osp.join(shapes_root, 'JPEGImages'), folder)
    # a smaller image in the same batch as 64x64 ones
    small = cv2.imread(val_images(shapes_root)[0])[:45, :53]
    cv2.imwrite(str(folder / 'small.png'), small)
    out = str(tmp_path / 'out')
    run_tool_in_process([
        'tools/infer.py', CONFIG, checkpoint,
        str(folder), '--out', out, '--batch-size', '4'
    ])
    assert 'predicted 25 images, skipped 0' in capsys.readouterr().out
    model = PytorchSegmenter(CONFIG, checkpoint)
    for name in ['small', 'val_00000', 'train_00003']:
        path = next(str(p) for p in folder.iterdir() if p.stem == name)
        image = cv2.imread(path)
        labels = model.predict([image])[0].labels
        png = np.array(Image.open(osp.join(out, 'labels', name + '.png')))
        assert png.shape == image.shape[:2] and png.max() < 5
        np.testing.assert_array_equal(png, labels)
        overlay = cv2.imread(osp.join(out, 'overlays', name + '.png'))
        _check_overlay(overlay, image, labels, model.palette)


def _random_checkpoint(config, path, scope='mmseg'):
    """The weights of ``config``'s model as built (no training)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(config)
    cfg.model.pop('pretrained', None)
    import segplug  # noqa: F401
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.mark.slow
def test_fast_path_says_what_it_applied(run_tool_in_process, checkpoint,
                                        shapes_root, tmp_path, capsys):
    image = val_images(shapes_root)[0]
    out = str(tmp_path / 'out')
    run_tool_in_process(
        ['tools/infer.py', CONFIG, checkpoint, image, '--fast', '--out', out])
    printed = capsys.readouterr().out
    applied = re.search(
        r'^fast inference: [1-9]\d* BN folded, (bf16|fp32), '
        '(channels-last|contiguous)$', printed, re.M)
    assert applied, printed
    labels = np.array(
        Image.open(osp.join(out, 'labels',
                            osp.basename(image)[:-4] + '.png')))
    # the tool gives what the fast path of segplug.apis gives (this
    # process measured bf16's speed once: both take the same choice) ...
    fast = PytorchSegmenter(CONFIG, checkpoint, fast=True)
    assert np.array_equal(labels, fast.predict([cv2.imread(image)])[0].labels)
    # ... and, in fp32, what the plain path gives (bf16's labels on this
    # four-iteration model's near-tied logits are the learning test's)
    if applied.group(1) == 'fp32':
        expected = PytorchSegmenter(CONFIG,
                                    checkpoint).predict([cv2.imread(image)
                                                         ])[0].labels
        assert np.mean(labels == expected) >= 0.99


@pytest.mark.slow
def test_crf_with_a_configs_own_postprocessor(run_tool_in_process, tmp_path,
                                              capsys):
    config = ('configs/deeplabv1/'
              'deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
    ckpt = _random_checkpoint(config, str(tmp_path / 'v1.pth'))
    image = str(tmp_path / 'x.png')
    cv2.imwrite(image, np.full((24, 20, 3), 90, np.uint8))
    run_tool_in_process([
        'tools/infer.py', config, ckpt, image, '--crf', '--out',
        str(tmp_path / 'out')
    ])
    out = capsys.readouterr().out
    assert out.count('the config has its own model.postprocessor '
                     '(DenseCRF); using it as is') == 1
    assert Image.open(str(tmp_path / 'out' / 'labels' / 'x.png')).size == (20,
                                                                           24)


@pytest.mark.slow
def test_onnxruntime_backend_end_to_end(run_tool_in_process, checkpoint,
                                        shapes_root, tmp_path, capsys):
    """tools/export.py's model through --backend onnxruntime: the labels
    of the PyTorch model, up to float rounding at ties. (Both tools run
    in this process; test_export and test_exit_status_and_one_line run
    them as commands.)"""
    onnx = str(tmp_path / 'model.onnx')
    run_tool_in_process([
        'tools/export.py', CONFIG, checkpoint, '--dynamic', '--shape', '64',
        '64', '--out', onnx
    ])
    paths = val_images(shapes_root)[:3]
    out = str(tmp_path / 'out')
    capsys.readouterr()
    run_tool_in_process(['tools/infer.py', CONFIG, onnx] + paths +
                        ['--backend', 'onnxruntime', '--out', out])
    assert 'predicted 3 images, skipped 0' in capsys.readouterr().out
    model = PytorchSegmenter(CONFIG, checkpoint)
    for path in paths:
        labels = model.predict([cv2.imread(path)])[0].labels
        png = np.array(
            Image.open(
                osp.join(out, 'labels',
                         osp.splitext(osp.basename(path))[0] + '.png')))
        assert png.shape == labels.shape
        assert (png == labels).mean() >= 0.995
    # a file that is no ONNX model, with a whole sidecar beside it
    fake = str(tmp_path / 'fake.onnx')
    with open(fake, 'wb') as f:
        f.write(b'\x08\x07not a protobuf')
    shutil.copy(onnx + '.json', fake + '.json')
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(['tools/infer.py', CONFIG, fake, paths[0]] +
                            ['--backend', 'onnxruntime', '--out', out])
    assert str(exc.value.code).startswith(
        f'error: {fake} is not an ONNX model onnxruntime can load (')
    assert str(exc.value.code).endswith('); export one with segplug export')
    assert '\n' not in str(exc.value.code)
