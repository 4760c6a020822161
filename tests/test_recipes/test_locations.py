"""Config names to files: paths, packaged names in their several forms,
and one line naming the closest configs for a name that is neither."""
import os.path as osp

import pytest

from segplug.recipes import (ConfigNotFoundError, config_root,
                             packaged_config_names, resolve_config)

SHAPES = 'deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'


def test_the_packaged_configs_are_the_checkouts(repo_root):
    # in the checkout segplug/.mim/configs is a symlink to configs/
    assert osp.realpath(config_root()) == osp.join(repo_root, 'configs')
    names = packaged_config_names()
    assert SHAPES in names and 'deeplabv3plus_shapes.py' in names
    assert '_base_/default_runtime.py' in names


@pytest.mark.parametrize('name', [
    f'segplug::{SHAPES}', SHAPES, SHAPES[:-3],
    osp.basename(SHAPES), f'configs/{SHAPES}'
])
def test_packaged_names_resolve(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the checkout: nothing local matches
    assert resolve_config(name) == osp.join(config_root(), SHAPES)


def test_an_existing_file_is_taken_as_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'deeplabv3plus_shapes.py').write_text('x = 1\n')
    assert resolve_config('deeplabv3plus_shapes.py') == \
        'deeplabv3plus_shapes.py'


@pytest.mark.parametrize('name, closest', [
    ('deeplabv3plus_r18-tiny-d16_shapes', 'deeplabv3plus_r18-tiny-d16_1xb8'),
    ('segplug::fcn/fcn8s_vgg16_4xb4.py', 'fcn/fcn8s_vgg16_4xb4-20k'),
])
def test_a_misspelt_name_is_one_line_with_the_closest(name, closest, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigNotFoundError) as info:
        resolve_config(name)
    message = str(info.value)
    assert message.startswith(f'config not found: {name}; closest: ')
    assert closest in message and '\n' not in message


def test_a_misspelt_local_path_names_its_folders_files(tmp_path):
    (tmp_path / 'my_deeplab.py').write_text('x = 1\n')
    with pytest.raises(ConfigNotFoundError, match='closest: .*my_deeplab.py'):
        resolve_config(str(tmp_path / 'my_deeplabb.py'))
    with pytest.raises(ConfigNotFoundError) as info:
        resolve_config('/nonexistent/folder/x.py')
    assert str(info.value) == 'config not found: /nonexistent/folder/x.py'
