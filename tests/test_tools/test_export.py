"""tools/export.py end to end: the model, its sidecar, the parity check,
--argmax, --dynamic, and one error line per kind of bad input."""
import json
import os.path as osp
import re

import numpy as np
import onnxruntime as ort
import pytest
import torch

from ..test_deploy.helpers import (CRF, DEEPLABV3PLUS, MASK_RCNN, PSPNET,
                                   save_random_checkpoint)

PARITY = re.compile(r'onnxruntime vs PyTorch on (.+): max \|logit '
                    r'difference\| (n/a \(--argmax\)|\S+), argmax agreement '
                    r'(\S+)%')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'dl3p.pth'
    return save_random_checkpoint(DEEPLABV3PLUS, str(path))


@pytest.fixture
def export(run_tool_in_process, capsys):
    """Run tools/export.py in this process; (exit code, stdout, stderr)."""

    def run(*args):
        code = 0
        try:
            run_tool_in_process(['tools/export.py', *map(str, args)])
        except SystemExit as exit_info:
            code = exit_info.code
        out, err = capsys.readouterr()
        if isinstance(code, str):  # sys.exit('error: ...') prints it
            err, code = err + code + '\n', 1
        return code, out, err

    return run


def _no_data(tmp_path):
    """--cfg-options pointing the test set at an empty folder: the parity
    check then uses its seeded random image, whether or not ``make demo``
    has written data/shapes."""
    return [
        '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path / "no-data"}'
    ]


def run_onnx(path, x):
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return session.run(None, {'input': x})[0]


def test_static_export_writes_model_sidecar_and_checks_parity(
        run_tool, checkpoint, tmp_path):
    out = tmp_path / 'model.onnx'
    proc = run_tool([
        'tools/export.py', DEEPLABV3PLUS, checkpoint, '--shape', '64', '80',
        '--out',
        str(out), *_no_data(tmp_path)
    ])
    assert f'exported {out} (torchscript exporter, opset 17, static input ' \
        '64x80)' in proc.stdout
    source, diff, agreement = PARITY.search(proc.stdout).groups()
    assert source == 'a seeded random image (64x80)'
    assert float(diff) <= 1e-3 and float(agreement) >= 99.9
    logits = run_onnx(str(out), np.zeros((1, 3, 64, 80), np.float32))
    assert logits.shape == (1, 5, 64, 80) and logits.dtype == np.float32
    meta = json.loads((tmp_path / 'model.onnx.json').read_text())
    assert meta['input'] == dict(
        name='input',
        shape=[1, 3, 64, 80],
        dynamic=False,
        export_shape=[64, 80])
    assert meta['output'] == dict(name='logits', argmax=False)
    assert meta['opset'] == 17 and meta['exporter'] == 'torchscript'
    assert meta['mean'] == [123.675, 116.28, 103.53]
    assert meta['std'] == [58.395, 57.12, 57.375]
    assert meta['bgr_to_rgb'] is True and meta['pad'] is None
    assert meta['test_resize'] is None and meta['postprocessor'] is None
    # ShapesDataset's METAINFO: the config states no classes
    assert meta['classes'] == [
        'background', 'circle', 'square', 'triangle', 'star'
    ]
    assert len(meta['palette']) == 5 and meta['num_classes'] == 5


def test_argmax_dynamic_takes_another_size(export, checkpoint, tmp_path):
    out = str(tmp_path / 'labels.onnx')
    code, stdout, _ = export(DEEPLABV3PLUS, checkpoint, '--shape', 64, 64,
                             '--dynamic', '--argmax', '--out', out,
                             *_no_data(tmp_path))
    assert code == 0
    checks = PARITY.findall(stdout)
    assert [c[0] for c in checks
            ] == ['a seeded random image (64x64)', 'a random 81x99 input']
    assert all(c[1] == 'n/a (--argmax)' and float(c[2]) >= 99.9
               for c in checks)
    labels = run_onnx(out, np.random.randn(2, 3, 72, 88).astype(np.float32))
    assert labels.shape == (2, 72, 88) and labels.dtype == np.int64
    assert 0 <= labels.min() and labels.max() < 5
    meta = json.loads(open(out + '.json').read())
    assert meta['input']['dynamic'] is True
    assert meta['input']['shape'] == ['batch', 3, 'height', 'width']
    assert meta['output'] == dict(name='labels', argmax=True)


def test_parity_on_a_test_set_image(export, checkpoint, tmp_path, shapes_root):
    out = str(tmp_path / 'm.onnx')
    code, stdout, _ = export(
        DEEPLABV3PLUS, checkpoint, '--shape', 64, 64, '--out', out,
        '--cfg-options', f'test_dataloader.dataset.data_root={shapes_root}')
    assert code == 0
    source = PARITY.search(stdout).group(1)
    assert source.startswith(osp.join(shapes_root, 'JPEGImages'))
    assert source.endswith('(64x64)')


def test_crf_config_keeps_its_postprocessor(export, tmp_path):
    checkpoint = save_random_checkpoint(CRF, str(tmp_path / 'crf.pth'))
    code, _, _ = export(CRF, checkpoint, '--shape', 64, 64)
    assert code == 0
    meta = json.loads(open(str(tmp_path / 'crf.onnx.json')).read())
    assert meta['postprocessor'] == dict(
        type='DenseCRF',
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=30.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=1.)


def test_pspnet_fixed_size_through_dynamo(export, tmp_path):
    checkpoint = save_random_checkpoint(PSPNET, str(tmp_path / 'psp.pth'))
    code, stdout, _ = export(PSPNET, checkpoint, '--shape', 64, 64)
    assert code == 0
    assert '(dynamo exporter, opset 18, static input 64x64)' in stdout
    assert float(PARITY.search(stdout).group(2)) <= 1e-3


def _one_error_line(code, err):
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1
    return lines[0]


def test_pspnet_dynamic_names_the_part(export, tmp_path):
    checkpoint = save_random_checkpoint(PSPNET, str(tmp_path / 'psp.pth'))
    line = _one_error_line(
        *export(PSPNET, checkpoint, '--shape', 64, 64, '--dynamic')[::2])
    assert 'cannot export PyramidPooling (neck), in its AdaptiveAvgPool2d' \
        in line and 'without --dynamic' in line


def test_unexportable_op_names_the_module(export, checkpoint, tmp_path,
                                          monkeypatch):
    from segplug.models.necks import ASPP
    forward = ASPP.forward

    def no_onnx(self, inputs):
        # both exporters: TorchScript's tracing and dynamo's
        if torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling():
            raise RuntimeError('ASPP has no ONNX form today')
        return forward(self, inputs)

    monkeypatch.setattr(ASPP, 'forward', no_onnx)
    line = _one_error_line(*export(DEEPLABV3PLUS, checkpoint, '--shape', 64,
                                   64, '--out', tmp_path / 'm.onnx')[::2])
    assert line == ('error: cannot export ASPP (neck) to ONNX opset 17: ASPP '
                    'has no ONNX form today')


def test_parity_failure_is_an_error(export, checkpoint, tmp_path, monkeypatch):
    from segplug.models.decode_heads import DeepLabV3PlusHead
    forward = DeepLabV3PlusHead.forward

    def other_in_onnx(self, inputs):
        out = forward(self, inputs)
        return out * 2 if torch.onnx.is_in_onnx_export() else out

    monkeypatch.setattr(DeepLabV3PlusHead, 'forward', other_in_onnx)
    line = _one_error_line(*export(DEEPLABV3PLUS, checkpoint, '--shape', 64,
                                   64, '--out', tmp_path / 'm.onnx')[::2])
    assert 'onnxruntime differs from PyTorch' in line
    assert 'expected at most 1e-3 and at least 99.9%' in line


@pytest.mark.parametrize('case', ['mask_rcnn', 'missing', 'mismatch'])
def test_bad_inputs_stop_with_one_line(export, checkpoint, tmp_path, case):
    config, ckpt = DEEPLABV3PLUS, checkpoint
    if case == 'mask_rcnn':
        config = MASK_RCNN
    elif case == 'missing':
        ckpt = str(tmp_path / 'absent.pth')
    else:
        ckpt = save_random_checkpoint(PSPNET, str(tmp_path / 'psp.pth'))
    line = _one_error_line(*export(config, ckpt, '--out', tmp_path /
                                   'm.onnx')[::2])
    expected = {
        'mask_rcnn': 'mmdet configs (Mask R-CNN, instance segmentation) '
        'are not supported',
        'missing': f'checkpoint not found: {ckpt}',
        'mismatch': 'does not fit the model',
    }[case]
    assert expected in line
    assert not (tmp_path / 'm.onnx').exists()


@pytest.mark.parametrize('argv, message', [
    (['--shape', '0', '64'], '--shape: expected positive ints'),
    (['--opset', '5'], '--opset: expected 7 to 23'),
])
def test_bad_flags(capsys, argv, message):
    from segplug.cli import export as tool
    with pytest.raises(SystemExit) as info:
        tool.parse_args(['c.py', 'k.pth', *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err
