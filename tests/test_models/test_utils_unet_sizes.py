import pytest

from segplug.models.utils.unet_sizes import (nearest_valid_unet_sizes,
                                             unet_encoder_sizes,
                                             unet_output_size,
                                             valid_unet_sizes)


def test_paper_sizes():
    assert unet_encoder_sizes(572) == [568, 280, 136, 64, 28]
    assert unet_output_size(572, 5) == 388


def test_same_padding_rounds_up():
    assert unet_encoder_sizes(45, 4, 'same') == [45, 23, 12, 6]
    assert unet_encoder_sizes(1, 3, 'same') == [1, 1, 1]


@pytest.mark.parametrize('num_levels', [1, 2, 3, 4, 5])
def test_valid_sizes_are_exactly_those_with_an_output(num_levels):
    """The closed form agrees with running the size rules on every size."""
    working = []
    for size in range(1, 400):
        try:
            unet_output_size(size, num_levels)
        except ValueError:
            continue
        working.append(size)
    assert working == valid_unet_sizes(num_levels, 399)


@pytest.mark.parametrize('size, expected',
                         [(570, (556, 572)), (572, (572, 572)),
                          (573, (572, 588)), (3, (None, 188))])
def test_nearest_valid_sizes(size, expected):
    assert nearest_valid_unet_sizes(size, 5) == expected


@pytest.mark.parametrize('size, nearest', [(570, '556 or 572'), (100, '188'),
                                           (30, '44')])
def test_invalid_size_names_nearest(size, nearest):
    levels = 3 if size == 30 else 5
    with pytest.raises(ValueError, match=f'got {size} .*{nearest}$'):
        unet_output_size(size, levels)


def test_encoder_only_size_without_decoder_output_raises():
    # 32 pools evenly to a 1-pixel bottom, but the decoder has nothing left.
    assert unet_encoder_sizes(32, 3) == [28, 10, 1]
    with pytest.raises(ValueError, match='decoder level 1'):
        unet_output_size(32, 3)


@pytest.mark.parametrize('kwargs, err', [
    (dict(size=0), ValueError),
    (dict(size=4.0), TypeError),
    (dict(num_levels=0), ValueError),
    (dict(padding='full'), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(size=572, num_levels=5, padding='valid')
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        unet_encoder_sizes(**args)
