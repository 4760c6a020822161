"""``segplug configs`` and ``segplug config``: the listing from the model
index, a config's path, and a copy that still inherits from any folder."""
import os.path as osp

import pytest
from mmengine.config import Config

from segplug.cli import config as config_cmd
from segplug.cli import configs as configs_cmd
from segplug.recipes import config_root

SHAPES = 'deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'


def test_listing_filters_by_every_word(capsys):
    configs_cmd.main(['deeplabv3plus', 'SHAPES'])
    lines = capsys.readouterr().out.splitlines()
    rows = [
        ln for ln in lines[1:] if ln.startswith(('deeplabv3plus/', 'mix/'))
    ]
    assert any(ln.startswith(SHAPES) and 'mIoU 84.0' in ln for ln in rows)
    assert all('Shapes' in ln for ln in rows) and len(rows) == 3
    assert lines[-1].startswith('3 configs;')


def test_listing_shows_the_full_configs_figures(capsys):
    configs_cmd.main(['pspnet_r50'])
    row = capsys.readouterr().out.splitlines()[1]
    assert row.split()[:2] == [
        'pspnet/pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py', 'PSPNet'
    ]
    assert '49.0' in row and '178.7' in row and '76.78 / 77.29' in row


def test_no_match_is_one_line():
    with pytest.raises(SystemExit) as info:
        configs_cmd.main(['nothing-like-this'])
    assert str(info.value.code).startswith('error: no packaged config')


def test_config_prints_the_path(capsys):
    config_cmd.main(['deeplabv3plus_shapes'])
    printed = capsys.readouterr().out.strip()
    assert printed == osp.realpath(
        osp.join(config_root(), 'deeplabv3plus_shapes.py'))


def test_a_copy_inherits_the_same_config_from_anywhere(tmp_path, capsys):
    config_cmd.main([SHAPES, '--copy', str(tmp_path / 'mine')])
    copy = tmp_path / 'mine' / osp.basename(SHAPES)
    assert capsys.readouterr().out.strip() == str(copy)
    text = copy.read_text()
    assert "'segplug::_base_/" in text and "'../_base_/" not in text
    original = Config.fromfile(osp.join(config_root(), SHAPES))
    assert Config.fromfile(str(copy)).to_dict() == original.to_dict()
    with pytest.raises(SystemExit) as info:  # no silent overwrite
        config_cmd.main([SHAPES, '--copy', str(tmp_path / 'mine')])
    assert 'exists; pass --force' in str(info.value.code)
