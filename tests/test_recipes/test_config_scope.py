"""``segplug::`` in a user's ``_base_``: read as a relative base would be,
so the parts build in the inherited default scope (mmseg or mmdet)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import segplug  # noqa: F401  (teaches mmengine the segplug:: names)
from segplug.recipes import ConfigNotFoundError, install_config_scope

SEMANTIC = 'deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'
INSTANCE = 'mask_rcnn/mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py'


def _user_config(tmp_path, base, body=''):
    path = tmp_path / 'my_config.py'
    path.write_text(f"_base_ = ['segplug::{base}']\n{body}")
    return Config.fromfile(str(path))


def test_a_user_config_inherits_a_semantic_recipe(tmp_path):
    cfg = _user_config(tmp_path, SEMANTIC,
                       'model = dict(decode_head=dict(num_classes=3))\n')
    assert cfg.default_scope == 'mmseg'
    assert cfg.model.decode_head.num_classes == 3
    assert cfg.model.backbone.depth == 18  # the recipe's own value
    # no '_scope_' keys: the parts build where the run's scope says
    assert '_scope_' not in cfg.model
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert out.shape[:2] == (1, 3)


def test_a_user_config_inherits_an_mmdet_recipe(tmp_path):
    cfg = _user_config(tmp_path, INSTANCE)
    assert cfg.default_scope == 'mmdet'
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    assert type(MODELS.build(cfg.model)).__name__ == 'MaskRCNN'


def test_base_files_of_the_short_names_resolve(tmp_path):
    cfg = _user_config(tmp_path, 'deeplabv3plus_shapes.py')
    assert cfg.model.decode_head.type == 'DeepLabV3PlusHead'


def test_a_missing_recipe_names_the_closest(tmp_path):
    with pytest.raises(ConfigNotFoundError, match='closest: deeplabv3plus/'):
        _user_config(tmp_path, SEMANTIC.replace('r18', 'r19'))


def test_other_packages_bases_are_mmengines_as_before(tmp_path):
    assert install_config_scope()  # idempotent: already installed
    path = tmp_path / 'c.py'
    path.write_text("_base_ = ['mmseg::_base_/default_runtime.py']\n")
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmseg'
    assert cfg.visualizer._scope_ == 'mmseg'  # mmengine's own scoping
