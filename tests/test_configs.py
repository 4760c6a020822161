"""Every config builds: its model runs, its data pipeline parts exist."""
import ast
import glob
import importlib
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from segplug.engine import leaf_dataset_cfgs

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _local_bases(path):
    """The files ``path``'s ``_base_`` names in this repository (not the
    'mmdet::' or 'mmseg::' ones)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if (isinstance(node, ast.Assign)
                and getattr(node.targets[0], 'id', None) == '_base_'):
            bases = ast.literal_eval(node.value)
            bases = [bases] if isinstance(bases, str) else bases
            return [
                osp.normpath(osp.join(osp.dirname(path), b)) for b in bases
                if '::' not in b
            ]
    return []


def test_configs_are_found():
    names = {osp.relpath(p, REPO) for p in CONFIGS}
    assert 'configs/deeplabv3plus_voc.py' in names
    assert 'configs/deeplabv3plus_shapes.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds_and_runs(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports['imports'] == ['segplug']
    scope = cfg.get('default_scope', 'mmseg')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    DATASETS, MODELS, TRANSFORMS = (registry.DATASETS, registry.MODELS,
                                    registry.TRANSFORMS)
    model = MODELS.build(cfg.model).eval()
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for ds in leaf_dataset_cfgs(cfg[loader]):
            assert DATASETS.get(ds['type']) is not None, ds['type']
            for step in ds['pipeline']:
                assert TRANSFORMS.get(step['type']) is not None, step['type']
    with torch.no_grad():
        if scope == 'mmdet':
            # FPN levels, one per anchor stride, then the RPN on them
            feats = model.extract_feat(torch.randn(1, 3, 128, 128))
            strides = cfg.model.rpn_head.anchor_generator.strides
            assert [f.shape[2] for f in feats] == [128 // s for s in strides]
            assert {f.shape[1] for f in feats} == {cfg.model.neck.out_channels}
            scores, _ = model.rpn_head(feats)
            assert len(scores) == len(strides)
        else:
            num_classes = cfg.model.decode_head.num_classes
            out = model(torch.randn(1, 3, 67, 67), mode='tensor')
            assert out.shape[:2] == (1, num_classes)


@pytest.mark.parametrize('base, field, expected', [
    ('mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py',
     'decode_head', 'ASPPHead'),
    ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', 'roi_head',
     'StandardRoIHead'),
])
def test_configs_can_inherit_the_hosts_configs(base, field, expected,
                                               tmp_path):
    """Cross-package bases resolve (mmengine needs pkg_resources for them,
    hence the set-up's setuptools pin)."""
    path = tmp_path / 'leaf.py'
    path.write_text(f"_base_ = ['{base}']\n")
    assert Config.fromfile(str(path)).model[field].type == expected


def test_every_base_fragment_is_inherited():
    """Each file under configs/_base_ is reached from some leaf config: the
    builds above test fragments only through the leaves."""
    reached, todo = set(), list(CONFIGS)
    while todo:
        for base in _local_bases(todo.pop()):
            if base not in reached:
                reached.add(base)
                todo.append(base)
    fragments = glob.glob(
        osp.join(REPO, 'configs', '_base_', '**', '*.py'), recursive=True)
    unused = {osp.relpath(p, REPO)
              for p in fragments} - {osp.relpath(p, REPO)
                                     for p in reached}
    assert not unused, f'no config inherits {sorted(unused)}'
