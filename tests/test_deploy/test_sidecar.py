"""The sidecar json: what a config's test pipeline, data preprocessor,
dataset and postprocessor say, and the checks on reading one."""
import json

import pytest
from mmengine.config import Config

from segplug.deploy import build_sidecar, read_sidecar, sidecar_path
from segplug.engine import ConfigError
from .helpers import CRF, DEEPLABV3PLUS, REPO


def test_stated_metainfo_resize_and_padding(tmp_path):
    cfg = Config.fromfile(f'{REPO}/configs/deeplabv3plus_voc.py')
    cfg.model.data_preprocessor.test_cfg = dict(size_divisor=32)
    cfg.test_dataloader.dataset.metainfo = dict(
        classes=('bg', 'cat'), palette=[[0, 0, 0], [9, 8, 7]])
    meta = build_sidecar(cfg, str(tmp_path / 'm.onnx'), (512, 512), True, 17,
                         False)
    assert meta['test_resize'] == dict(scale=[2048, 512], keep_ratio=True)
    assert meta['pad'] == dict(size_divisor=32)
    assert meta['classes'] == ['bg', 'cat']
    assert meta['palette'] == [[0, 0, 0], [9, 8, 7]]
    assert meta['input']['dynamic'] is True
    assert meta['input']['export_shape'] == [512, 512]
    assert meta['num_classes'] == 21 and meta['bgr_to_rgb'] is True
    json.dumps(meta)  # json types only


def test_voc_classes_from_the_registry(tmp_path):
    cfg = Config.fromfile(f'{REPO}/configs/deeplabv3plus_voc.py')
    meta = build_sidecar(cfg, 'm.onnx', (512, 512), False, 17, True)
    assert len(meta['classes']) == 21 and meta['classes'][15] == 'person'
    assert len(meta['palette']) == 21
    assert meta['output'] == dict(name='labels', argmax=True)
    assert meta['input']['shape'] == [1, 3, 512, 512]


def test_postprocessor_and_test_mode():
    crf = build_sidecar(
        Config.fromfile(f'{REPO}/{CRF}'), 'm.onnx', (64, 64), False, 17, False)
    assert crf['postprocessor']['type'] == 'DenseCRF'
    unet = build_sidecar(
        Config.fromfile(
            f'{REPO}/configs/unet/unet-s4-tiny_1xb8-2.5k_shapes-128x128.py'),
        'm.onnx', (64, 64), False, 17, False)
    assert unet['test_mode'] == 'overlap_tile'
    assert unet['postprocessor'] is None


def test_reading_a_missing_or_broken_sidecar(tmp_path):
    model = str(tmp_path / 'm.onnx')
    with pytest.raises(ConfigError, match='m.onnx.json not found'):
        read_sidecar(model)
    with open(sidecar_path(model), 'w') as f:
        f.write('{')
    with pytest.raises(ConfigError, match='not valid json'):
        read_sidecar(model)
    cfg = Config.fromfile(f'{REPO}/{DEEPLABV3PLUS}')
    meta = build_sidecar(cfg, model, (64, 64), False, 17, False)
    del meta['mean']
    with open(sidecar_path(model), 'w') as f:
        json.dump(meta, f)
    with pytest.raises(ConfigError, match='expected keys mean'):
        read_sidecar(model)
