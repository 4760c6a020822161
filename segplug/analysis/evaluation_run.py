"""Run a trained segmentor over a config's data loader and count its
confusion matrix, outside a Runner (so that no log or work-dir folder is
written next to the training run's)."""
from typing import Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from ..engine.config_types import config_scope
from ..engine.errors import ConfigError
from ..engine.inference.trained_model import load_trained_model
from ..utils.progress import progress
from .confusion import confusion_matrix


def require_mmseg(cfg: Config) -> None:
    """Raise ConfigError unless ``cfg`` is an mmseg (semantic) config."""
    scope = config_scope(cfg)
    if scope != 'mmseg':
        raise ConfigError('a confusion matrix of pixels needs a semantic '
                          "segmentation config: expected default_scope "
                          f"'mmseg', got {scope!r}")


def build_segmentor(cfg: Config, checkpoint: str) -> nn.Module:
    """The config's model in eval mode with ``checkpoint``'s weights, on
    the CPU.

    Raises:
        ConfigError: it is no mmseg config.
        CheckpointError: it is not found, torn, or a weight outside
            ``auxiliary_head`` does not fit.
        UnsafeCheckpointError: it needs globals outside the allow-list.
    """
    require_mmseg(cfg)
    return load_trained_model(cfg, checkpoint)[0]


def _ignore_index(cfg: Config, loader: str) -> int:
    """The ignore_index of the config's IoUMetric for ``loader`` (mmseg's
    default, 255, without one)."""
    evaluator = cfg.get(loader.replace('dataloader', 'evaluator'))
    evaluators = evaluator if isinstance(evaluator,
                                         (list, tuple)) else [evaluator]
    for ev in evaluators:
        if isinstance(ev, dict) and 'ignore_index' in ev:
            return int(ev['ignore_index'])
    return 255


def count_confusion(
        cfg: Config,
        model: nn.Module,
        loader: str = 'val_dataloader') -> Tuple[np.ndarray, Tuple[str, ...]]:
    """The confusion matrix of ``model`` over ``cfg[loader]`` (a bar on a
    terminal) and the dataset's class names.

    Raises:
        ConfigError: the config has no ``loader``.
    """
    if not cfg.get(loader):
        raise ConfigError(f'the config has no {loader} to evaluate on')
    loader_cfg = cfg[loader].copy()
    # one pass: worker processes that outlive it would only wait to stop
    loader_cfg['persistent_workers'] = False
    dataloader = Runner.build_dataloader(loader_cfg)
    classes = tuple(dataloader.dataset.metainfo['classes'])
    ignore_index = _ignore_index(cfg, loader)
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    with torch.no_grad():
        for batch in progress(dataloader, desc='confusion matrix'):
            for sample in model.test_step(batch):
                matrix += confusion_matrix(
                    sample.pred_sem_seg.data.squeeze(0).cpu().numpy(),
                    sample.gt_sem_seg.data.squeeze(0).cpu().numpy(),
                    len(classes), ignore_index)
    return matrix, classes
