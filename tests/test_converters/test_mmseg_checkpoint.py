"""mmseg's DeepLab v3 / v3+ / PSPNet weights, converted, give segplug's
models the same outputs."""
import importlib
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from segplug.converters import (MMSEG_HEADS, convert_mmseg_checkpoint,
                                mmseg_config_file)
from segplug.engine import sync_bn_to_bn

# ResNet-50-D8 widths -> those of a ResNet-18 with 16 base channels, the
# same on both sides, so the models are small but keep their structure.
SMALL_WIDTHS = {48: 8, 256: 16, 512: 32, 1024: 64, 2048: 128, 4096: 256}
WIDTH_KEYS = ('in_channels', 'channels', 'c1_in_channels', 'c1_channels',
              'low_level_channels')
HEADS = list(MMSEG_HEADS)


def _shrink_widths(cfg):
    for key, value in cfg.items():
        if key in WIDTH_KEYS:
            cfg[key] = (
                SMALL_WIDTHS[value] if isinstance(value, int) else type(value)(
                    SMALL_WIDTHS[v] for v in value))
        elif isinstance(value, dict):
            _shrink_widths(value)


def _small_model_cfg(cfg: Config) -> dict:
    model = cfg.model
    sync_bn_to_bn(model)
    model.pretrained = None
    model.backbone.update(depth=18, stem_channels=16, base_channels=16)
    for head in ('decode_head', 'auxiliary_head'):
        model[head].num_classes = 21
    for part in ('neck', 'decode_head', 'auxiliary_head'):
        if part in model:
            _shrink_widths(model[part])
    return model


def _randomise(model: torch.nn.Module, seed: int) -> None:
    """Random weights and BN statistics, so every mapped tensor matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith(('running_var', 'bn.weight')):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=gen))


@pytest.fixture(scope='module')
def model_pairs(repo_root):
    """head -> (mmseg model, segplug model), both small and in eval mode."""
    init_default_scope('mmseg')
    pairs = {}
    for seed, (head, equivalent) in enumerate(MMSEG_HEADS.items()):
        theirs = MODELS.build(
            _small_model_cfg(
                Config.fromfile(mmseg_config_file(equivalent.mmseg_config))))
        ours = MODELS.build(
            _small_model_cfg(
                Config.fromfile(
                    osp.join(repo_root, equivalent.segplug_config))))
        _randomise(theirs, seed)
        pairs[head] = theirs.eval(), ours.eval()
    return pairs


def _outputs(model, x):
    metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:])]
    with torch.no_grad():
        logits = model.encode_decode(x, metas)
        aux = model.auxiliary_head(model.extract_feat(x))
    return logits, aux


@pytest.mark.parametrize('head', HEADS)
def test_converted_weights_give_equal_outputs(model_pairs, head):
    theirs, ours = model_pairs[head]
    state_dict, detected = convert_mmseg_checkpoint(theirs.state_dict())
    assert detected == head
    ours.load_state_dict(state_dict, strict=True)
    x = torch.randn(1, 3, 65, 97, generator=torch.Generator().manual_seed(3))
    (logits, aux), (ref_logits, ref_aux) = _outputs(ours,
                                                    x), _outputs(theirs, x)
    assert logits.shape == ref_logits.shape == (1, 21, 65, 97)
    assert ref_logits.std() > 0.1
    torch.testing.assert_close(logits, ref_logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(aux, ref_aux, rtol=0, atol=1e-5)


def test_mapping_moves_the_context_module_into_the_neck(model_pairs):
    state_dict, _ = convert_mmseg_checkpoint(
        model_pairs['DepthwiseSeparableASPPHead'][0].state_dict())
    for key in ('neck.image_pool.1.conv.weight',
                'neck.branches.1.depthwise_conv.conv.weight',
                'neck.project.bn.running_var',
                'decode_head.low_level_reduce.conv.weight',
                'decode_head.refine.1.pointwise_conv.bn.bias',
                'auxiliary_head.convs.0.conv.weight',
                'backbone.stem.0.weight'):
        assert key in state_dict
    state_dict, _ = convert_mmseg_checkpoint(
        model_pairs['PSPHead'][0].state_dict())
    assert 'neck.stages.3.1.conv.weight' in state_dict
    assert 'decode_head.convs.0.bn.weight' in state_dict


def _fake_checkpoint(theirs):
    """mmseg's model-zoo layout, with what a 1.x checkpoint's message hub
    holds (numpy scalars, HistoryBuffer) to exercise the allow-list."""
    return {
        'meta': {
            'mmseg_version': '1.2.2',
            'seed': np.int64(0),
            'dataset_meta': {
                'classes': tuple(f'c{i}' for i in range(21))
            },
        },
        'state_dict': theirs.state_dict(),
        'message_hub': {
            'log_scalars': {
                'train/loss': HistoryBuffer([np.float64(0.5)], [1])
            }
        },
    }


def test_cli_round_trip(model_pairs, run_tool, tmp_path):
    theirs, ours = model_pairs['PSPHead']
    src, dst = tmp_path / 'psp.pth', tmp_path / 'out' / 'segplug_psp.pth'
    torch.save(_fake_checkpoint(theirs), src)
    dst.parent.mkdir()
    proc = run_tool(['tools/convert_mmseg.py', str(src), str(dst)])
    assert 'PSPHead' in proc.stdout
    assert MMSEG_HEADS['PSPHead'].segplug_config in proc.stdout
    assert 'num_classes=21' in proc.stdout
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['mmseg_head'] == 'PSPHead'
    assert len(saved['meta']['dataset_meta']['classes']) == 21
    with torch.no_grad():
        for p in ours.parameters():
            p.zero_()
    # As a config's load_from does.
    load_checkpoint(ours, str(dst), map_location='cpu', strict=True)
    expected, _ = convert_mmseg_checkpoint(theirs.state_dict())
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


@pytest.mark.parametrize('checkpoint, match', [
    ([1, 2], 'expected a state dict'),
    ({}, 'expected a non-empty state dict'),
    ({
        'state_dict': {
            'a': 1
        }
    }, 'non-tensor entries'),
    ({
        'backbone.conv.weight': torch.zeros(1)
    }, 'no recognised decode head'),
    ({
        'decode_head.convs.0.conv.weight': torch.zeros(1),
        'decode_head.conv_seg.weight': torch.zeros(1)
    }, r'no recognised decode head.*convs'),
    ({
        'decode_head.psp_modules.0.1.conv.weight': torch.zeros(1),
        'decode_head.bottleneck.conv.weight': torch.zeros(1),
        'decode_head.conv_seg.weight': torch.zeros(1),
        'decode_head.extra.weight': torch.zeros(1)
    }, r"PSPHead checkpoint.*unmapped \['extra'\]"),
    ({
        'decode_head.aspp_modules.0.conv.weight': torch.zeros(1),
        'decode_head.conv_seg.weight': torch.zeros(1)
    }, r"ASPPHead checkpoint.*missing \['bottleneck', 'image_pool'\]"),
    ({
        'neck.conv.weight': torch.zeros(1),
        'decode_head.psp_modules.0.1.conv.weight': torch.zeros(1)
    }, 'without a neck'),
])
def test_bad_checkpoints_raise(checkpoint, match):
    with pytest.raises(ValueError, match=match) as info:
        convert_mmseg_checkpoint(checkpoint)
    assert '\n' not in str(info.value)


@pytest.fixture(scope='module')
def convert_tool():
    return importlib.import_module('segplug.cli.convert_mmseg')


@pytest.mark.parametrize('src, match', [
    ('missing', 'not found'),
    ('garbage', 'src.pth'),
    ('truncated', 'src.pth'),
    ('no_head', 'no recognised decode head'),
    ('no_dst_folder', 'output folder not found'),
])
def test_cli_reports_bad_input_in_one_line(convert_tool, tmp_path, src, match):
    path, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    if src == 'no_dst_folder':
        dst = tmp_path / 'missing' / 'dst.pth'
    if src == 'garbage':
        path.write_bytes(b'not a checkpoint')
    elif src != 'missing':
        torch.save({'state_dict': {'backbone.x': torch.zeros(1)}}, path)
    if src == 'truncated':
        path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(SystemExit) as info:
        convert_tool.main([str(path), str(dst)])
    message = str(info.value.code)
    assert message.startswith('error: ') and '\n' not in message
    assert re.search(match, message)
    assert not dst.exists()


def test_cli_keeps_class_names_of_mmseg_0x_and_1x(convert_tool):
    classes, palette = ('bg', 'cat'), [[0, 0, 0], [1, 2, 3]]
    assert convert_tool._dataset_meta({
        'CLASSES': classes,
        'PALETTE': palette,
        'config': '...'
    }) == {
        'classes': classes,
        'palette': palette
    }
    meta = {'classes': classes}
    assert convert_tool._dataset_meta({'dataset_meta': meta}) == meta
    assert convert_tool._dataset_meta({'seed': 0}) == {}
