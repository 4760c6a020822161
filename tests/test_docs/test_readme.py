"""The README's example config is code: it must build and run."""
import os.path as osp
import re

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import segplug  # noqa: F401  (registers the parts)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _readme_config() -> str:
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    section = text.split('## A config that mixes parts', 1)[1]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def test_readme_mixing_config_builds_and_runs(tmp_path):
    base = osp.join(ROOT, 'configs', '_base_') + '/'
    path = tmp_path / 'readme_example.py'
    path.write_text(_readme_config().replace("'../_base_/", f"'{base}"))
    cfg = Config.fromfile(str(path))
    assert cfg.model.neck.type == 'PyramidPooling'
    assert cfg.model.decode_head.type == 'UNetHead'
    cfg.model.pretrained = None  # no download in a test
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 64, 64), mode='tensor')
    # the U-Net head ends at the finest ResNet level, stride 4
    assert logits.shape == (1, 21, 16, 16)


def test_readme_example_is_the_config_it_names():
    """The README names the file that holds its example: same model."""
    base = osp.join(ROOT, 'configs', '_base_') + '/'
    named = Config.fromfile(
        osp.join(ROOT, 'configs', 'mix',
                 'unet-head_pyramid-pooling_r50_4xb4-20k_voc12aug-512x512.py'))
    example = Config.fromstring(
        _readme_config().replace("'../_base_/", f"'{base}"), '.py')
    for key in ('neck', 'decode_head'):
        assert example.model[key].in_channels == named.model[key].in_channels
    assert example.model.neck.type == named.model.neck.type
    assert example.model.backbone.type == named.model.backbone.type
