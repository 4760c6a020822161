"""Building the segmentor of a config and loading a checkpoint into it."""
from mmengine.config import Config
from torch import nn

from ..engine import ConfigError
from ..engine.config_types import is_detection
from ..engine.inference.trained_model import load_trained_model


def check_semantic(cfg: Config) -> None:
    """Raise ConfigError for what the exporter does not cover: mmdet
    configs (Mask R-CNN) and models without a decode head."""
    if is_detection(cfg):
        raise ConfigError(
            'export: mmdet configs (Mask R-CNN, instance segmentation) are '
            'not supported; expected an mmseg (semantic) config')
    model = cfg.get('model') or {}
    if 'decode_head' not in model or 'backbone' not in model:
        raise ConfigError(
            'export: expected an mmseg encoder-decoder config (model with '
            f"backbone and decode_head), got model type {model.get('type')}")
    head = model['decode_head']
    if isinstance(head, dict) and head.get('padding') == 'valid':
        raise ConfigError(
            "export: UNetHead padding='valid' predicts only the image "
            "centre, which needs overlap-tile inference; export a 'same' "
            'U-Net')


def load_segmentor(cfg: Config, checkpoint: str) -> nn.Module:
    """The config's segmentor with ``checkpoint``'s weights, for export
    (:func:`segplug.engine.inference.trained_model.load_trained_model`).

    Raises:
        ConfigError: no semantic mmseg config.
        CheckpointError: the file is missing, no checkpoint, or does not
            fit the model.
    """
    check_semantic(cfg)
    return load_trained_model(cfg, checkpoint)[0]
