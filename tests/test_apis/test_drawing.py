import numpy as np
from PIL import Image

from segplug.apis.drawing import (blend, overlay_in_frame, overlay_with_legend,
                                  save_label_png)

CLASSES = ('background', 'circle', 'square')
PALETTE = [[0, 0, 0], [255, 0, 0], [0, 255, 0]]


def _example():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (21, 17, 3), dtype=np.uint8)
    labels = np.zeros((21, 17), np.int64)
    labels[3:9, 2:11] = 1
    labels[12:20, 5:9] = 2
    return image, labels


def test_label_png_holds_class_indices_and_the_palette(tmp_path):
    _, labels = _example()
    path = str(tmp_path / 'sub' / 'x.png')
    save_label_png(labels, PALETTE, path)
    png = Image.open(path)
    assert png.mode == 'P'
    np.testing.assert_array_equal(np.array(png), labels)
    assert png.getpalette()[:9] == [0, 0, 0, 255, 0, 0, 0, 255, 0]


def test_blend_leaves_background_and_mixes_classes():
    image, labels = _example()
    out = blend(image, labels, PALETTE, 0.5)
    bg = labels == 0
    np.testing.assert_array_equal(out[bg], image[bg])
    # circle pixels: BGR (0, 0, 255) mixed half and half
    expected = np.round(0.5 * image[labels == 1] +
                        0.5 * np.array([0, 0, 255])).astype(np.uint8)
    np.testing.assert_array_equal(out[labels == 1], expected)
    np.testing.assert_array_equal(blend(image, labels, PALETTE, 0.0), image)


def test_overlay_puts_the_legend_in_a_band_below():
    image, labels = _example()
    out = overlay_with_legend(image, labels, CLASSES, PALETTE, 0.5)
    h, w = image.shape[:2]
    # three classes present: three rows; the names are wider than 17 px
    assert out.shape[0] > h + 3 * 10 and out.shape[1] > w
    np.testing.assert_array_equal(out[:h, :w],
                                  blend(image, labels, PALETTE, 0.5))
    # the swatches show the class colours (BGR)
    band = out[h:]
    for colour in ([0, 0, 255], [0, 255, 0], [0, 0, 0]):
        assert (band == colour).all(-1).any()
    only_bg = overlay_with_legend(image, labels * 0, CLASSES, PALETTE, 0.5)
    assert only_bg.shape[0] < out.shape[0]


def test_video_frame_keeps_its_size():
    image, labels = _example()
    out = overlay_in_frame(image, labels, CLASSES, PALETTE, 0.5)
    assert out.shape == image.shape
