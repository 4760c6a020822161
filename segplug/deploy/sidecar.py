"""The json file beside an exported model: what inference needs besides
the graph (pre-processing, classes, postprocessor)."""
import json
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, ConfigDict

from ..apis.model_loading import dataset_meta
from ..engine import ConfigError

SIDECAR_VERSION = 1


def sidecar_path(model_path: str) -> str:
    """``model.onnx`` -> ``model.onnx.json``."""
    return model_path + '.json'


def _plain(value):
    """Config values as json types (ConfigDict and tuples included)."""
    if isinstance(value, (dict, ConfigDict)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def pipeline_of(cfg: Config) -> list:
    """The test dataset's pipeline, else the config's ``test_pipeline``."""
    loader = cfg.get('test_dataloader') or {}
    dataset = loader.get('dataset') or {}
    return list(dataset.get('pipeline') or cfg.get('test_pipeline') or [])


def resize_step(cfg: Config) -> Optional[dict]:
    """The test pipeline's ``Resize`` step: scale or scale_factor, and
    keep_ratio."""
    for step in pipeline_of(cfg):
        if step.get('type') in ('Resize', 'mmcv.Resize'):
            return _plain({
                key: step[key]
                for key in ('scale', 'scale_factor', 'keep_ratio')
                if key in step
            })
    return None


def build_sidecar(cfg: Config,
                  model_file: str,
                  shape: Sequence[int],
                  dynamic: bool,
                  opset: int,
                  argmax: bool,
                  postprocessor_state: Optional[dict] = None) -> dict:
    """The sidecar of a model exported from ``cfg`` at input ``shape``
    (H, W); ``postprocessor_state``: the postprocessor's learned tensors
    (a ``CRFAsRNN``'s state dict), kept as lists."""
    model = cfg.model
    pre = model.get('data_preprocessor') or {}
    if pre.get('mean') is None or pre.get('std') is None:
        raise ConfigError('export: expected mean and std in '
                          'model.data_preprocessor, got none')
    test_cfg = pre.get('test_cfg') or {}
    num_classes = model.decode_head.num_classes
    test_cfg_model = model.get('test_cfg') or {}
    test_mode = test_cfg_model.get('mode', 'whole')
    if test_mode == 'slide' and not all(
            test_cfg_model.get(k) for k in ('crop_size', 'stride')):
        raise ConfigError("export: model.test_cfg mode='slide' expects "
                          'crop_size and stride')
    from mmseg.registry import DATASETS
    classes, palette = dataset_meta(cfg, {}, num_classes, DATASETS)
    return dict(
        version=SIDECAR_VERSION,
        model=osp.basename(model_file),
        format='onnx',
        opset=opset,
        input=dict(
            name='input',
            shape=['batch', 3, 'height', 'width']
            if dynamic else [1, 3, *shape],
            dynamic=dynamic,
            export_shape=list(shape)),
        output=dict(name='labels' if argmax else 'logits', argmax=argmax),
        mean=_plain(pre['mean']),
        std=_plain(pre['std']),
        bgr_to_rgb=bool(pre.get('bgr_to_rgb', False)),
        pad_val=pre.get('pad_val', 0),
        pad=_plain({
            key: test_cfg[key]
            for key in ('size', 'size_divisor') if test_cfg.get(key)
        }) or None,
        test_resize=resize_step(cfg),
        align_corners=bool(model.decode_head.get('align_corners', False)),
        num_classes=num_classes,
        out_channels=model.decode_head.get('out_channels') or num_classes,
        threshold=model.decode_head.get('threshold'),
        classes=list(classes),
        palette=palette,
        postprocessor=_plain(model.get('postprocessor')),
        postprocessor_state={
            k: v.tolist()
            for k, v in postprocessor_state.items()
        } if postprocessor_state else None,
        test_mode=test_mode,
        slide=_plain(
            {key: test_cfg_model[key]
             for key in ('crop_size',
                         'stride')}) if test_mode == 'slide' else None)


def read_sidecar(model_path: str) -> dict:
    """The sidecar of ``model_path``; ConfigError if missing or invalid."""
    path = sidecar_path(model_path)
    if not osp.isfile(path):
        raise ConfigError(f'{path} not found: expected the json that '
                          'segplug export writes beside the model')
    try:
        with open(path) as f:
            meta = json.load(f)
    except ValueError as err:
        raise ConfigError(f'{path} is not valid json: {err}') from None
    missing = [
        key for key in ('input', 'output', 'mean', 'std', 'bgr_to_rgb',
                        'num_classes', 'classes', 'palette') if key not in meta
    ]
    if missing:
        raise ConfigError(f'{path}: expected keys {", ".join(missing)}; '
                          'export the model again with segplug export')
    return meta
