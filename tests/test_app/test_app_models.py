"""The browser app's models and views, without a browser: each backend,
with and without the CRF, gives what segplug.apis gives; instance models
draw masks, boxes and scores; bad input is one line."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from segplug.apis import PytorchSegmenter, read_config
from segplug.app import FAST, PYTORCH, AppModels, Page, changed, shares
from segplug.deploy import (OnnxSegmenter, SegmentorGraph, build_sidecar,
                            export_onnx, sidecar_path)
from segplug.deploy.model_loading import load_segmentor
from segplug.engine import ConfigError
from ..test_deploy.helpers import (CRF, DEEPLABV3PLUS, MASK_RCNN, REPO,
                                   save_random_checkpoint)
from ..test_deploy.test_onnx_segmenter import shapes_like

IMAGE = shapes_like((61, 75), seed=3)


def varied_checkpoint(config: str, path: str) -> str:
    """A random checkpoint of ``config`` whose classifier bias is shifted
    so that each class's mean log-probability on IMAGE is equal: every
    class wins somewhere, and the CRF has boundaries to move."""
    import torch
    save_random_checkpoint(config, path)
    probs = PytorchSegmenter(osp.join(REPO, config),
                             path).predict([IMAGE], with_probs=True)[0].probs
    ckpt = torch.load(path)
    bias = ckpt['state_dict']['decode_head.conv_seg.bias']
    bias -= torch.from_numpy(np.log(probs + 1e-12).mean(axis=(1, 2)))
    torch.save(ckpt, path)
    return path


@pytest.fixture(scope='module')
def deeplab(tmp_path_factory):
    path = tmp_path_factory.mktemp('app') / 'random.pth'
    return osp.join(REPO,
                    DEEPLABV3PLUS), varied_checkpoint(DEEPLABV3PLUS, str(path))


def _with_crf(config: str, iters: int):
    """The config with segplug's dense CRF of ``iters`` iterations, as
    ``segplug infer --crf`` builds it."""
    cfg = copy.deepcopy(read_config(config))
    cfg.model.type = 'SegplugEncoderDecoder'
    cfg.model.postprocessor = dict(type='DenseCRF', num_iters=iters)
    return cfg


def test_shares_and_changed_pixels():
    labels = np.array([[0, 0, 2], [2, 2, 2]])
    assert shares(labels, ('a', 'b', 'c')) == [(2, 'c', 4 / 6),
                                               (0, 'a', 2 / 6)]
    image = np.full((2, 3, 3), 200, np.uint8)
    after = labels.copy()
    after[0, 0] = 1
    view, count = changed(image, labels, after)
    assert count == 1
    assert view[0, 0].tolist() == [255, 0, 255]
    assert view[1, 1].tolist() == [100, 100, 100]


def test_pytorch_backends_give_what_the_apis_give(deeplab):
    config, checkpoint = deeplab
    models = AppModels(config, checkpoint)
    assert models.backends == [PYTORCH, FAST]
    plain = models.predict(IMAGE, PYTORCH)
    assert plain.seconds > 0
    expected = PytorchSegmenter(config, checkpoint).predict([IMAGE])[0]
    np.testing.assert_array_equal(plain.result, expected.labels)
    fast = PytorchSegmenter(config, checkpoint, fast=True).predict([IMAGE])
    np.testing.assert_array_equal(
        models.predict(IMAGE, FAST).result, fast[0].labels)
    refined = models.predict(IMAGE, PYTORCH, crf_iters=3)
    crf = PytorchSegmenter(_with_crf(config, 3), checkpoint).predict([IMAGE])
    np.testing.assert_array_equal(refined.result, crf[0].labels)
    assert (refined.result != plain.result).any()


def test_a_crf_config_runs_without_its_crf_when_it_is_off(tmp_path):
    checkpoint = varied_checkpoint(CRF, str(tmp_path / 'crf.pth'))
    config = osp.join(REPO, CRF)
    models = AppModels(config, checkpoint)
    without = copy.deepcopy(read_config(config))
    without.model.postprocessor = None
    np.testing.assert_array_equal(
        models.predict(IMAGE, PYTORCH).result,
        PytorchSegmenter(without, checkpoint).predict([IMAGE])[0].labels)
    # the config's own CRF: its settings, 10 iterations
    np.testing.assert_array_equal(
        models.predict(IMAGE, PYTORCH, 10).result,
        PytorchSegmenter(config, checkpoint).predict([IMAGE])[0].labels)


def _export(config, checkpoint, out):
    cfg = read_config(config)
    export_onnx(
        SegmentorGraph(load_segmentor(cfg, checkpoint)), out, (64, 64), True)
    with open(sidecar_path(out), 'w') as f:
        json.dump(build_sidecar(cfg, out, (64, 64), True, 17, False), f)
    return out


@pytest.mark.slow
def test_the_onnx_backend_gives_what_onnx_segmenter_gives(deeplab, tmp_path):
    config, checkpoint = deeplab
    onnx = _export(config, checkpoint, str(tmp_path / 'model.onnx'))
    models = AppModels(config, checkpoint, [onnx])
    backend = 'onnxruntime fp32 (model.onnx)'
    assert models.backends == [PYTORCH, FAST, backend]
    np.testing.assert_array_equal(
        models.predict(IMAGE, backend).result,
        OnnxSegmenter(onnx).predict([IMAGE])[0].labels)
    crf = OnnxSegmenter(onnx, postprocessor=dict(type='DenseCRF', num_iters=4))
    np.testing.assert_array_equal(
        models.predict(IMAGE, backend, 4).result,
        crf.predict([IMAGE])[0].labels)
    table = Page(models, [], None, 0.3).time_backends(IMAGE[..., ::-1])
    assert table.count('<tr>') == 4 and backend in table


def test_the_page_shows_labels_crf_changes_and_pngs(deeplab):
    config, checkpoint = deeplab
    page = Page(AppModels(config, checkpoint), [], None, 0.3)
    rgb = IMAGE[..., ::-1]
    (labels, crf_view, changed_view, legend, times, png,
     crf_png) = page.run(rgb, PYTORCH, True, 3)
    assert labels.shape == crf_view.shape == changed_view.shape == (61, 75, 3)
    plain = np.array(Image.open(png))
    refined = np.array(Image.open(crf_png))
    assert plain.shape == refined.shape == (61, 75)
    count = int((plain != refined).sum())
    assert f'the CRF changed {count} pixels' in times
    assert (changed_view == [255, 0, 255]).all(-1).sum() == count
    assert 'without the CRF' in legend
    assert 'with the CRF, 3 iterations' in legend
    outputs = page.run(rgb, PYTORCH, False, 3)
    assert outputs[1] is None and outputs[2] is None and outputs[6] is None
    np.testing.assert_array_equal(np.array(Image.open(outputs[5])), plain)


def test_an_instance_model_shows_masks_boxes_and_scores(tmp_path):
    import torch
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    config = osp.join(REPO, MASK_RCNN)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(read_config(config).model)
    checkpoint = str(tmp_path / 'mask_rcnn.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    models = AppModels(config, checkpoint)
    assert models.instances and models.backends == [PYTORCH]
    page = Page(models, [], None, 0.0)
    drawn, *empty, table, times, png, crf_png = page.run(
        IMAGE[..., ::-1], PYTORCH, False, 10)
    assert drawn.shape == (61, 75, 3)
    assert empty == [None, None] and png is None and crf_png is None
    found = models.predict(IMAGE, PYTORCH).result
    assert table.count('<tr>') == 1 + len(found.scores)
    with pytest.raises(ValueError, match='the dense CRF is for semantic'):
        models.predict(IMAGE, PYTORCH, 5)
    with pytest.raises(ConfigError, match='PyTorch only'):
        AppModels(config, checkpoint, ['model.onnx'])


@pytest.mark.parametrize('make, message', [
    (lambda d: osp.join(d, 'missing.pth'), 'checkpoint not found: '),
    (lambda d: _garbage(osp.join(d, 'torn.pth')), 'torn.pth'),
])
def test_a_bad_checkpoint_is_one_line(run_tool_in_process, tmp_path, capsys,
                                      make, message):
    with pytest.raises(SystemExit) as exit_info:
        run_tool_in_process(
            ['tools/app.py', DEEPLABV3PLUS,
             make(str(tmp_path))])
    text = str(exit_info.value.code)
    assert text.startswith('error: ') and '\n' not in text
    assert message in text


def _garbage(path):
    with open(path, 'wb') as f:
        f.write(b'not a checkpoint')
    return path


def test_a_missing_onnx_model_is_one_line(run_tool_in_process, deeplab,
                                          tmp_path):
    with pytest.raises(SystemExit, match='^error: ONNX model not found: '):
        run_tool_in_process([
            'tools/app.py', DEEPLABV3PLUS, deeplab[1], '--onnx',
            str(tmp_path / 'none.onnx')
        ])


def test_without_gradio_the_app_says_how_to_get_it(run_tool_in_process,
                                                   deeplab, monkeypatch):
    monkeypatch.setitem(__import__('sys').modules, 'gradio', None)
    with pytest.raises(SystemExit, match=r"segplug\[app\]"):
        run_tool_in_process(['tools/app.py', DEEPLABV3PLUS, deeplab[1]])


def test_a_missing_config_is_one_line(run_tool_in_process, deeplab):
    with pytest.raises(SystemExit) as exit_info:
        run_tool_in_process(['tools/app.py', 'configs/nope.py', deeplab[1]])
    text = str(exit_info.value.code)
    assert text.startswith('error: ') and 'nope' in text and '\n' not in text


def test_only_the_last_models_built_are_kept(deeplab):
    from segplug.app.backends import KEEP_BUILT
    models = AppModels(*deeplab)
    first = models.predict(IMAGE, PYTORCH).result
    for iters in range(1, KEEP_BUILT + 2):
        models.predict(IMAGE, PYTORCH, iters)
    assert len(models._built) == KEEP_BUILT
    assert (PYTORCH, 0) not in models._built
    np.testing.assert_array_equal(models.predict(IMAGE, PYTORCH).result, first)


def test_a_port_in_use_is_one_line(run_tool_in_process, deeplab):
    import socket
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            run_tool_in_process([
                'tools/app.py', DEEPLABV3PLUS, deeplab[1], '--port',
                str(port)
            ])
    text = str(exit_info.value.code)
    assert text.startswith(f'error: --host 127.0.0.1 --port {port}: cannot')
    assert '\n' not in text
