import numpy as np
from PIL import Image

from segplug.analysis import (RunScalars, load_run, plot_confusion_matrix,
                              plot_curves, select_keys)
from .scalars_files import mmseg_lines, write_run


def test_curves_of_two_runs_one_panel_per_key(tmp_path):
    write_run(str(tmp_path / 'a'), 't', mmseg_lines())
    write_run(str(tmp_path / 'b'), 't', mmseg_lines(4, 8))
    runs = [load_run(str(tmp_path / n), n) for n in 'ab']
    keys = select_keys(runs)
    out = plot_curves(runs, keys, str(tmp_path / 'out' / 'curves.png'))
    image = Image.open(out)
    assert image.format == 'PNG'
    assert image.size == (1500, 720)  # 3 columns, 2 rows of 5 x 3.6 in
    pixels = np.asarray(image.convert('RGB'))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_one_key_one_panel(tmp_path):
    run = RunScalars('a', train={'loss': ([1, 2], [1.0, 0.5])})
    out = plot_curves([run], ['loss'], str(tmp_path / 'c.png'))
    assert Image.open(out).size == (500, 360)


def test_confusion_matrix_image(tmp_path):
    matrix = np.array([[0.9, 0.1, 0], [0.2, 0.8, 0], [0, 0, 1.0]])
    out = plot_confusion_matrix(matrix, ('bg', 'circle', 'square'),
                                str(tmp_path / 'cm.png'))
    image = Image.open(out)
    assert image.format == 'PNG' and image.size == (500, 400)
