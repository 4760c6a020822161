"""What inference needs around a trained model: the config (with the CRF
when asked), the class names and colours, the test pipeline, the device.
The model itself: :mod:`segplug.engine.inference.trained_model`."""
from typing import List, Sequence, Tuple

from mmengine.config import Config

from ..engine.errors import ConfigError
from ..engine.tool_runner import load_config

# DeepLab v1's CRF settings are DenseCRF's defaults
CRF_CFG = dict(type='DenseCRF')
_SEGMENTORS = ('EncoderDecoder', 'SegplugEncoderDecoder')


def read_config(config) -> Config:
    """A ``Config`` from a path, a packaged config's name
    (:func:`segplug.recipes.resolve_config`) or a ``Config``."""
    if isinstance(config, Config):
        return config
    return load_config(str(config))


def with_crf(cfg: Config, crf: bool) -> Tuple[Config, bool]:
    """``cfg`` with ``DenseCRF`` as ``model.postprocessor`` when ``crf`` is
    set and the config has none; a config's own postprocessor stays.

    Returns:
        tuple: the config and whether the config's own postprocessor is
        used (so that a tool can say so).
    """
    own = bool(cfg.model.get('postprocessor'))
    if not crf or own:
        return cfg, own
    seg_type = cfg.model.get('type')
    if seg_type not in _SEGMENTORS:
        raise ConfigError(f'--crf: expected a segmentor of type '
                          f'{" or ".join(_SEGMENTORS)}, got {seg_type}')
    # SegplugEncoderDecoder takes every argument of EncoderDecoder and is
    # the one that runs a postprocessor
    cfg.model.type = 'SegplugEncoderDecoder'
    cfg.model.postprocessor = dict(CRF_CFG)
    return cfg, False


def dataset_meta(cfg: Config, checkpoint: dict, num_classes: int,
                 registry) -> Tuple[Tuple[str, ...], List[List[int]]]:
    """Class names and RGB palette: the checkpoint's ``dataset_meta``, else
    the test dataset's ``metainfo`` or class ``METAINFO``, else numbered
    classes with generated colours."""
    meta = (checkpoint.get('meta') or {}).get('dataset_meta') or {}
    if not meta.get('classes'):
        meta = _config_meta(cfg, registry)
    classes = tuple(
        meta.get('classes') or (f'class {i}' for i in range(num_classes)))
    palette = meta.get('palette') or []
    palette = [list(map(int, c)) for c in palette][:len(classes)]
    palette += default_palette(len(classes))[len(palette):]
    return classes, palette


def _config_meta(cfg: Config, registry) -> dict:
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    # dataset wrappers (RepeatDataset, ConcatDataset...) hold the real one
    while not dataset.get('metainfo') and isinstance(
            dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    if (dataset.get('metainfo') or {}).get('classes'):
        return dict(dataset['metainfo'])
    dataset_type = dataset.get('type')
    if isinstance(dataset_type, str):
        dataset_type = registry.get(dataset_type)
    return dict(getattr(dataset_type, 'METAINFO', None) or {})


def default_palette(num: int) -> List[List[int]]:
    """The PASCAL VOC colour map's first ``num`` colours."""
    from ..data_preparation.palette import voc_palette
    flat = voc_palette()
    colours = [flat[i:i + 3] for i in range(0, len(flat), 3)]
    return [colours[i % 256] for i in range(num)]


def test_pipeline_cfg(cfg: Config) -> Sequence[dict]:
    """The config's test pipeline for arrays: ``LoadImageFromNDArray``
    first, no annotations."""
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.get(
        'pipeline')
    if not pipeline:
        raise ConfigError('expected a test_pipeline (or '
                          'test_dataloader.dataset.pipeline) in the config')
    steps = [dict(s) for s in pipeline if 'Annotation' not in str(s['type'])]
    steps[0] = dict(type='LoadImageFromNDArray')
    return steps


def device_checked(device: str) -> str:
    import torch
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise ConfigError(f'--device {device}: no CUDA device here; '
                          'use --device cpu')
    if not device.startswith(('cpu', 'cuda')):
        raise ConfigError(f'--device: expected cpu or cuda, got {device}')
    return device
