"""int8 quantization through ``segplug export --quantize int8`` and the
deployed models under ``segplug test``: the plumbing, the record, the
fallback and the errors. The accuracy gate on a trained model is in
tests/test_learning/test_learning.py."""
import json
import re

import numpy as np
import onnx
import pytest

from segplug.deploy.quantize import (FALLBACK_STEP, always_fp32, quantize_int8,
                                     training_images)
from ..utils import shapes_options
from .helpers import DEEPLABV3PLUS, save_random_checkpoint

# each runs the tools on an exported model: about a minute in all
pytestmark = pytest.mark.slow


def roots(shapes_root):
    return shapes_options(shapes_root, 1)[:4]


@pytest.fixture(scope='module')
def exported(tmp_path_factory, run_tool, shapes_root):
    """A random DeepLab v3+ exported with --quantize int8 (no accuracy
    target: random weights have none to keep)."""
    work = tmp_path_factory.mktemp('int8')
    checkpoint = save_random_checkpoint(DEEPLABV3PLUS, str(work / 'm.pth'))
    proc = run_tool([
        'tools/export.py', DEEPLABV3PLUS, checkpoint, '--quantize', 'int8',
        '--calib-images', '4', '--check-images', '2', '--min-agreement', '0'
    ] + roots(shapes_root))
    return work, checkpoint, proc.stdout


def test_the_int8_model_is_written_beside_the_fp32_one(exported):
    work, _, out = exported
    assert 'exported ' + str(work / 'm.int8.onnx') in out
    model = onnx.load(str(work / 'm.int8.onnx'))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count('QuantizeLinear') > 10 and 'DequantizeLinear' in ops
    meta = json.loads((work / 'm.int8.onnx.json').read_text())
    assert meta['model'] == 'm.int8.onnx'
    record = meta['quantization']
    fp32 = json.loads((work / 'm.onnx.json').read_text())
    # the same pre- and post-processing as the fp32 model's
    for key in ('model', 'quantization'):
        meta.pop(key)
        fp32.pop(key, None)
    assert meta == fp32
    assert record['calibration']['set'] == 'training'
    assert record['calibration']['images'] == 4
    assert record['calibration']['first'].startswith('train_')
    assert record['check']['images'] == 2
    kept = {k['why'].split(' ')[0] for k in record['kept_fp32']}
    assert {'first', 'classifier', 'bilinear'} <= kept
    assert record['quantized_convs'] > 20


def test_segplug_test_runs_the_exported_models(exported, run_tool, shapes_root,
                                               tmp_path):
    """fp32 under onnxruntime scores what PyTorch scores; the int8 model
    runs through the same evaluators."""
    work, checkpoint, _ = exported
    scores = {}
    for name, model in (('pytorch', checkpoint), ('fp32',
                                                  str(work / 'm.onnx')),
                        ('int8', str(work / 'm.int8.onnx'))):
        proc = run_tool([
            'tools/test.py', DEEPLABV3PLUS, model, '--work-dir',
            str(tmp_path / name)
        ] + roots(shapes_root))
        scores[name] = float(re.findall(r'mIoU: ([0-9.]+)', proc.stdout)[-1])
    assert scores['fp32'] == pytest.approx(scores['pytorch'], abs=0.01)
    assert 0 <= scores['int8'] <= 100


def test_the_exported_models_refuse_what_they_cannot_do(exported, run_tool):
    work, _, _ = exported
    for flag in ('--tta', '--fast'):
        proc = run_tool(
            ['tools/test.py', DEEPLABV3PLUS,
             str(work / 'm.int8.onnx'), flag],
            check=False)
        assert proc.returncode == 1
        assert f'{flag} is for a PyTorch checkpoint' in proc.stderr


def test_a_static_model_names_an_image_it_cannot_take(exported, run_tool,
                                                      shapes_root):
    import torch

    from segplug.deploy import OnnxEncoderDecoder
    from segplug.engine import ConfigError
    work, _, _ = exported
    model = OnnxEncoderDecoder(str(work / 'm.onnx'))
    with pytest.raises(ConfigError, match='takes inputs up to 128x128'):
        model.encode_decode(torch.zeros(1, 3, 130, 64), [{}])


def test_the_fallback_puts_the_most_disturbed_convolutions_back(
        exported, tmp_path):
    """Under an unreachable target, each round keeps FALLBACK_STEP more
    convolutions in fp32, chosen by their signal-to-noise ratio."""
    work, _, _ = exported
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((1, 3, 128, 128)).astype(np.float32)]
    report = quantize_int8(
        str(work / 'm.onnx'),
        str(tmp_path / 'q.onnx'),
        inputs,
        inputs,
        target=1.01,
        log=lambda _: None)
    kept = [r['kept_fp32'] for r in report.rounds]
    assert len(kept) > 2
    assert all(b - a == FALLBACK_STEP for a, b in zip(kept, kept[1:]))
    fallback = [k for k in report.kept_fp32 if k['why'].startswith('accuracy')]
    assert len(fallback) == kept[-1] - kept[0]
    model = onnx.load(str(tmp_path / 'q.onnx'))
    convs = [n.name for n in model.graph.node if n.op_type == 'Conv']
    assert {k['node'] for k in fallback} <= set(convs)


def test_an_int8_model_under_its_target_fails_the_export(
        tmp_path, shapes_root, monkeypatch):
    """Where the fallback ends under the target, the export exits 1 with
    one line (a random model's labels agree too well to get there: its
    measured agreement is lowered)."""
    import segplug.deploy as deploy
    from segplug.cli.export import main
    real = deploy.quantize_int8

    def under_target(*args, **kwargs):
        report = real(*args, **kwargs)
        report.agreement = 0.9
        return report

    monkeypatch.setattr(deploy, 'quantize_int8', under_target)
    checkpoint = save_random_checkpoint(DEEPLABV3PLUS, str(tmp_path / 'm.pth'))
    with pytest.raises(SystemExit) as exit_:
        main([
            DEEPLABV3PLUS, checkpoint, '--quantize', 'int8', '--calib-images',
            '2', '--check-images', '1'
        ] + roots(shapes_root))
    # sys.exit(message): status 1, the message on stderr
    error = str(exit_.value.code)
    assert '\n' not in error
    assert re.match(
        r'error: .*m\.int8\.onnx: its labels equal the fp32 model.s on '
        r'90\.00% of the pixels of 1 training images \(target 99\.5%\)',
        error), error


def test_calibration_never_reads_the_test_images(shapes_root, tmp_path):
    """A training split that lists a val image calibrates without it."""
    import shutil

    from mmengine.config import Config
    root = tmp_path / 'shapes'
    shutil.copytree(shapes_root, root)
    split = root / 'ImageSets/Segmentation/train.txt'
    split.write_text('val_00000\n' + split.read_text())
    cfg = Config.fromfile(DEEPLABV3PLUS)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
    paths = training_images(cfg, 4)
    assert paths[0].endswith('train_00000.jpg')
    assert not any('val_' in p for p in paths)


def test_missing_training_images_stop_the_export_first(tmp_path, run_tool):
    checkpoint = save_random_checkpoint(DEEPLABV3PLUS, str(tmp_path / 'm.pth'))
    proc = run_tool(
        ['tools/export.py', DEEPLABV3PLUS, checkpoint, '--quantize', 'int8'] +
        roots(str(tmp_path / 'nowhere')),
        check=False)
    assert proc.returncode == 1
    assert not (tmp_path / 'm.onnx').exists()
    assert 'nowhere' in proc.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize('args,match', [
    (['--calib-images', '0'], '--calib-images: expected a positive int'),
    (['--min-agreement', '2'], '--min-agreement: expected a share'),
    (['--argmax'], '--quantize: expected a model with logits'),
])
def test_bad_options_are_named(run_tool, args, match):
    proc = run_tool(
        ['tools/export.py', DEEPLABV3PLUS, 'x.pth', '--quantize', 'int8'] +
        args,
        check=False)
    assert proc.returncode == 2 and match in proc.stderr


def test_the_first_convolution_the_classifier_and_resizes_stay_fp32():
    from onnx import helper
    nodes = [
        helper.make_node('Conv', ['x', 'w0'], ['a'], name='stem'),
        helper.make_node('Conv', ['a', 'w1'], ['b'], name='body'),
        helper.make_node('Resize', ['b'], ['c'], name='up'),
        helper.make_node('Conv', ['c', 'w2'], ['d'], name='cls'),
    ]
    kept = {(k['node'], k['op']) for k in always_fp32(nodes)}
    assert kept == {('stem', 'Conv'), ('cls', 'Conv'), ('up', 'Resize')}


def test_segplug_infer_runs_the_int8_model(exported, run_tool, shapes_root,
                                           tmp_path):
    import glob

    from PIL import Image
    work, _, _ = exported
    image = sorted(glob.glob(f'{shapes_root}/JPEGImages/val_*.jpg'))[0]
    run_tool([
        'tools/infer.py', DEEPLABV3PLUS,
        str(work / 'm.int8.onnx'), image, '--backend', 'onnxruntime', '--out',
        str(tmp_path)
    ])
    labels = glob.glob(f'{tmp_path}/labels/*.png')
    assert len(labels) == 1
    assert Image.open(labels[0]).size == Image.open(image).size


def test_check_deployed_passes_the_same_model_and_names_another(
        exported, run_tool, shapes_root, tmp_path):
    """The gate: the fp32 export of the checkpoint passes (no mIoU lost,
    every label alike); set against another model's weights it exits 1
    with one line."""
    import torch

    from .helpers import random_segmentor
    work, checkpoint, _ = exported
    tool = ['tools/check_deployed.py', DEEPLABV3PLUS]
    proc = run_tool(tool + [checkpoint, str(work / 'm.onnx')] +
                    roots(shapes_root))
    assert re.search(
        r'8 test images: mIoU (\S+) \(PyTorch\) and \1 \(.*m\.onnx\), '
        r'0\.000 points lost; labels agree on 100\.000% of the pixels',
        proc.stdout), proc.stdout
    other = str(tmp_path / 'other.pth')
    torch.save(
        {
            'state_dict': random_segmentor(DEEPLABV3PLUS, seed=1).state_dict(),
            'meta': {}
        }, other)
    proc = run_tool(
        tool + [other, str(work / 'm.onnx')] + roots(shapes_root), check=False)
    assert proc.returncode == 1
    assert re.search(r'error: .*m\.onnx misses the gate: ',
                     proc.stderr.strip().splitlines()[-1])
