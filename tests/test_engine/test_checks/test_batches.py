"""Samples that pass the file checks but cannot form the run's batches:
images of several sizes that the shapes config (no crop; the data
preprocessor pads to 128x128 in training, stacks as they are in
validation) cannot batch."""
import cv2
import pytest
from PIL import Image

from segplug.engine import DataError, check_data
from .test_label_statistics import LOADERS, _cfg


@pytest.fixture
def shapes(tmp_path):
    from segplug.data_preparation import generate_shapes
    root = tmp_path / 'shapes'
    generate_shapes(str(root), num_train=6, num_val=4, size=64, seed=3)
    return root


def _resize(root, name, size):
    image = root / 'JPEGImages' / f'{name}.jpg'
    cv2.imwrite(str(image), cv2.resize(cv2.imread(str(image)), size))
    label = root / 'SegmentationClass' / f'{name}.png'
    Image.open(label).resize(size, Image.NEAREST).save(label)
    return str(image)


def test_a_train_image_larger_than_the_padded_size(repo_root, shapes):
    big = _resize(shapes, 'train_00001', (160, 96))
    with pytest.raises(DataError) as exc:
        check_data(_cfg(repo_root, shapes), LOADERS)
    message = str(exc.value)
    assert message.startswith(f'train_dataloader: the samples {big} (160x96)'
                              ', ')
    assert 'cannot form a batch as the run will (RuntimeError: ' in message
    assert message.endswith('crop or resize them to one size in the '
                            'pipeline, or set model.data_preprocessor.size '
                            'to hold the largest')


def test_val_images_of_several_sizes(repo_root, shapes):
    other = _resize(shapes, 'val_00002', (96, 96))
    with pytest.raises(DataError) as exc:
        check_data(_cfg(repo_root, shapes), LOADERS)
    message = str(exc.value)
    assert message.startswith(f'val_dataloader: the samples {other} (96x96)')
    # one at a time, as a loader of batch size 1 forms them, they go
    check_data(_cfg(repo_root, shapes, 'val_dataloader.batch_size=1'), LOADERS)
