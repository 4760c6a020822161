"""The browser app's page (gradio): upload or pick an image, see the
labels with a legend, with and without the dense CRF side by side, on the
backend chosen, each one's time, and download the label PNGs."""
import functools
import os.path as osp
import tempfile
from typing import List, Optional

import numpy as np

from ..engine import ConfigError
from .backends import MAX_CRF_ITERS, PYTORCH, AppModels
from .views import changed, instances, label_png, legend_html, overlay

# system fonts: the page must not wait for a font host it cannot reach
FONTS = ['ui-sans-serif', 'system-ui', 'sans-serif']
# small images (the shapes data's are 128 pixels) are scaled up to the
# panel, pixel for pixel
CSS = ('.legend td, .legend th, .instances td, .instances th '
       '{padding: 2px 8px} .shown img {width: 100%; height: 100%; '
       'object-fit: contain; image-rendering: pixelated}')
HEIGHT = 300


def _shown_errors(handler):
    """``handler`` with the errors a person can act on shown on the page as
    one line (gradio shows others as a bare 'Error')."""

    @functools.wraps(handler)
    def run(*args):
        import gradio as gr
        try:
            return handler(*args)
        except (ConfigError, ValueError) as err:
            raise gr.Error(str(err)) from err

    return run


def _bgr(image_rgb: Optional[np.ndarray]) -> np.ndarray:
    import gradio as gr
    if image_rgb is None:
        raise gr.Error('Upload an image or pick a val image first')
    return np.ascontiguousarray(image_rgb[..., ::-1])


class Page:
    """The page's handlers over an :class:`AppModels`; ``blocks()`` lays
    it out. The label PNGs of a run are written to a folder of the page's
    own, removed with it; gradio copies each to its cache as the run
    returns, so the next run may overwrite them."""

    def __init__(self, models: AppModels, val_paths: List[str],
                 val_note: Optional[str], score_thr: float):
        self.models, self.score_thr = models, score_thr
        self.val_paths, self.val_note = val_paths, val_note
        self._folder = tempfile.TemporaryDirectory(prefix='segplug-app-')

    def run(self, image_rgb, backend: str, crf: bool, iters: int):
        """(labels view, CRF view, changed view, legend, times, label PNG,
        CRF label PNG) for the page's outputs."""
        image = _bgr(image_rgb)
        m = self.models
        plain = m.predict(image, backend)
        if m.instances:
            drawn, table = instances(image, plain.result, m.classes, m.palette,
                                     self.score_thr)
            times = f'{backend}: {plain.seconds:.3f} s'
            return drawn, None, None, table, times, None, None
        out = self._folder.name
        views = [overlay(image, plain.result, m.palette), None, None]
        legend = legend_html(plain.result, m.classes, m.palette,
                             'without the CRF')
        times = f'{backend}: {plain.seconds:.3f} s'
        pngs = [label_png(plain.result, m.palette, out, 'labels.png'), None]
        if crf:
            refined = m.predict(image, backend, int(iters))
            views[1] = overlay(image, refined.result, m.palette)
            views[2], count = changed(image, plain.result, refined.result)
            legend += legend_html(refined.result, m.classes, m.palette,
                                  f'with the CRF, {int(iters)} iterations')
            times += (f'; with the CRF ({int(iters)} iterations): '
                      f'{refined.seconds:.3f} s; the CRF changed {count} '
                      f'pixels ({100 * count / refined.result.size:.2f}%)')
            pngs[1] = label_png(refined.result, m.palette, out,
                                'labels_crf.png')
        return (*views, legend, times, *pngs)

    def time_backends(self, image_rgb) -> str:
        """Each backend's time on the image, and how many of its labels
        equal PyTorch's."""
        image = _bgr(image_rgb)
        reference = self.models.predict(image, PYTORCH)
        rows = []
        for backend in self.models.backends:
            timed = self.models.predict(image, backend)
            if self.models.instances:
                alike = 'n/a'
            else:
                same = (timed.result == reference.result).mean()
                alike = f'{100 * same:.3f}%'
            rows.append(f'<tr><td>{backend}</td><td>{timed.seconds:.3f}</td>'
                        f'<td>{alike}</td></tr>')
        return ('<table class="backends"><tr><th>backend</th><th>seconds'
                '</th><th>labels equal to PyTorch\'s</th></tr>' +
                ''.join(rows) + '</table>')

    def blocks(self, title: str):
        import gradio as gr
        semantic = not self.models.instances
        with gr.Blocks(title=title) as blocks:
            gr.Markdown(f'## {title}')
            with gr.Row():
                image = gr.Image(
                    label='image',
                    sources=['upload'],
                    type='numpy',
                    height=HEIGHT,
                    elem_id='input-image',
                    elem_classes='shown')
                with gr.Column():
                    val = gr.Dropdown([(osp.basename(p), p)
                                       for p in self.val_paths],
                                      value=None,
                                      label='or a val image',
                                      info=self.val_note,
                                      elem_id='val-image')
                    backend = gr.Radio(
                        self.models.backends,
                        value=PYTORCH,
                        label='backend',
                        elem_id='backend')
                    crf = gr.Checkbox(
                        label='dense CRF', visible=semantic, elem_id='crf')
                    iters = gr.Slider(
                        1,
                        MAX_CRF_ITERS,
                        value=10,
                        step=1,
                        label='CRF iterations',
                        visible=semantic,
                        elem_id='crf-iters')
                    run = gr.Button('Run', variant='primary', elem_id='run')
            with gr.Row():
                shown = [
                    gr.Image(
                        label=label,
                        format='png',
                        height=HEIGHT,
                        elem_id=elem,
                        elem_classes='shown')
                    for label, elem in (('labels', 'labels'), ('with the CRF',
                                                               'labels-crf'),
                                        ('changed by the CRF', 'changed'))
                ]
            legend = gr.HTML(elem_id='legend')
            times = gr.Markdown(elem_id='times')
            with gr.Row():
                pngs = [
                    gr.File(label=label, elem_id=elem)
                    for label, elem in (('label PNG', 'label-png'),
                                        ('label PNG with the CRF',
                                         'label-png-crf'))
                ]
            time_all = gr.Button('Time every backend', elem_id='time-all')
            backend_table = gr.HTML(elem_id='backend-times')
            val.change(lambda path: path, val, image)
            run.click(
                _shown_errors(self.run), [image, backend, crf, iters],
                [*shown, legend, times, *pngs])
            time_all.click(
                _shown_errors(self.time_backends), image, backend_table)
        return blocks


def theme():
    import gradio as gr
    return gr.themes.Default(font=FONTS, font_mono=['monospace'])
