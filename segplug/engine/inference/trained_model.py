"""A trained model for inference, export and analysis: built from its
config without pretrained initialisation, with a checkpoint that fits."""
import copy
import importlib
import os.path as osp
from typing import Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from torch import nn

from ..checkpoints.fit import (describe_fit, fitting_part, measure_fit,
                               weights_of)
from ..checkpoints.loading import missing_checkpoint
from ..config_types import config_scope
from ..device import sync_bn_to_bn
from ..errors import CheckpointError


def load_trained_model(cfg: Config,
                       checkpoint: str,
                       device: str = 'cpu') -> Tuple[nn.Module, dict]:
    """The one way segplug loads a trained model (the commands, the Python
    API, export, analysis): :func:`build_for_inference`, then
    :func:`load_trained_weights`.

    Returns:
        tuple: the model, in eval mode on ``device``, and the checkpoint
        (its ``meta`` holds the dataset's classes).
    """
    model = build_for_inference(cfg, device)
    return model, load_trained_weights(model, checkpoint)


def build_for_inference(cfg: Config, device: str = 'cpu') -> nn.Module:
    """The model of ``cfg`` in eval mode on ``device``: no pretrained
    weights are fetched (the checkpoint brings them), no training losses
    are set up, and SyncBN is BN (one process)."""
    scope = config_scope(cfg)
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry').MODELS
    model_cfg = copy.deepcopy(cfg.model)
    sync_bn_to_bn(model_cfg)
    if 'pretrained' in model_cfg:  # mmdet's detectors take no such key
        model_cfg.pretrained = None
    model_cfg.train_cfg = None
    backbone = model_cfg.get('backbone')
    if isinstance(backbone, dict):
        backbone.pop('init_cfg', None)
    model = registry.build(model_cfg)
    model.cfg = cfg
    return model.to(device).eval()


def load_trained_weights(model: nn.Module, filename: str) -> dict:
    """Load ``filename`` into ``model`` (weights only, segplug's allow
    list). Every weight outside ``auxiliary_head``, which inference does
    not run, must fit.

    Returns:
        dict: The checkpoint (its ``meta`` holds the dataset's classes).

    Raises:
        CheckpointError: a missing, torn or refused file, or one that does
            not fit the model.
    """
    if not osp.isfile(filename):
        raise CheckpointError(missing_checkpoint(filename))
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    weights = weights_of(checkpoint, filename, [(r'^module\.', '')])
    fit = measure_fit(model, weights)
    bad = [k for k in fit.bad if not k.startswith('auxiliary_head.')]
    if bad:
        raise CheckpointError(
            f'checkpoint {filename} does not fit the model: '
            f'{describe_fit(fit, bad)}; pass the checkpoint trained with '
            'this config')
    model.load_state_dict(fitting_part(weights, fit), strict=False)
    return checkpoint if isinstance(checkpoint, dict) else {}
