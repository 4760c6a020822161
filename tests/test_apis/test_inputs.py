import os

import pytest

from segplug.apis import collect_inputs
from segplug.engine import ConfigError


def _touch(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'wb').close()


def test_folder_recursive_with_sub_folders_in_names(tmp_path):
    for name in ('a.jpg', 'B.JPEG', 'sub/c.png', 'sub/deep/d.webp',
                 'notes.txt', 'clip.mp4'):
        _touch(str(tmp_path / name))
    items = collect_inputs([str(tmp_path)])
    assert [(i.name, i.is_video) for i in items] == [('B', False),
                                                     ('a', False),
                                                     ('clip', True),
                                                     ('sub/c', False),
                                                     ('sub/deep/d', False)]


def test_colliding_names_keep_their_extensions(tmp_path):
    for name in ('x.jpg', 'x.png', 'y.png'):
        _touch(str(tmp_path / name))
    names = [i.name for i in collect_inputs([str(tmp_path)])]
    assert names == ['x.jpg', 'x.png', 'y']
    other = tmp_path / 'other'
    _touch(str(other / 'y.png'))
    names = [
        i.name for i in collect_inputs(
            [str(tmp_path /
                 'y.png'), str(other / 'y.png')])
    ]
    assert names == ['y.png', 'y.png_1']


def test_glob_keeps_sub_folders_below_its_base(tmp_path):
    for name in ('a/one.png', 'b/two.png', 'b/three.jpg'):
        _touch(str(tmp_path / name))
    items = collect_inputs([str(tmp_path / '*' / '*.png')])
    assert [i.name for i in items] == ['a/one', 'b/two']


def test_file_named_twice_is_predicted_once(tmp_path):
    _touch(str(tmp_path / 'a.png'))
    items = collect_inputs([str(tmp_path / 'a.png'), str(tmp_path)])
    assert [i.name for i in items] == ['a']


@pytest.mark.parametrize('make, expected', [
    (lambda p: None, 'no images or videos found'),
    (lambda p: _touch(str(p / 'readme.txt')), 'no images or videos found'),
])
def test_empty_folder_is_an_error(tmp_path, make, expected):
    make(tmp_path)
    with pytest.raises(ConfigError, match=expected) as exc:
        collect_inputs([str(tmp_path)])
    assert str(tmp_path) in str(exc.value)


def test_missing_input_and_wrong_kind_are_errors(tmp_path):
    with pytest.raises(ConfigError, match='input not found: .*nope.png'):
        collect_inputs([str(tmp_path / 'nope.png')])
    _touch(str(tmp_path / 'model.pth'))
    with pytest.raises(ConfigError, match='expected an image'):
        collect_inputs([str(tmp_path / 'model.pth')])
    with pytest.raises(ConfigError, match='no images or videos found'):
        collect_inputs([str(tmp_path / '*.jpg')])
