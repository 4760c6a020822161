"""segplug's DeepLab v3, v3+ and PSPNet beside mmseg's own, with the same
weights: the pairs the speed benchmarks time against each other."""
import logging
import os.path as osp
from functools import partial
from typing import Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..converters import (MMSEG_HEADS, convert_mmseg_checkpoint,
                          mmseg_config_file)
from ..engine import BF16OptimWrapper, sync_bn_to_bn
from ..recipes import mim_root, resolve_config

PAIRS = {eq.model: eq for eq in MMSEG_HEADS.values()}
NUM_CLASSES = 21
# tiny: ResNet-50-D8 widths -> a ResNet-18 with 16 base channels
TINY_WIDTHS = {48: 8, 256: 16, 512: 32, 1024: 64, 2048: 128, 4096: 256}
WIDTH_KEYS = ('in_channels', 'channels', 'c1_in_channels', 'c1_channels',
              'low_level_channels')


def _shrink(cfg) -> None:
    for key, value in cfg.items():
        if key in WIDTH_KEYS:
            cfg[key] = (
                TINY_WIDTHS[value] if isinstance(value, int) else type(value)(
                    TINY_WIDTHS[v] for v in value))
        elif isinstance(value, dict):
            _shrink(value)


def build_model(path: str, tiny: bool) -> torch.nn.Module:
    """The model of the config at ``path``: BN for SyncBN, no pretrained
    weights, 21 classes; with ``tiny``, a ResNet-18 of 1/4 width."""
    model = Config.fromfile(path).model
    sync_bn_to_bn(model)
    model.pretrained = None
    model.decode_head.num_classes = NUM_CLASSES
    model.auxiliary_head.num_classes = NUM_CLASSES
    if tiny:
        model.backbone.update(depth=18, stem_channels=16, base_channels=16)
        for part in ('neck', 'decode_head', 'auxiliary_head'):
            if part in model:
                _shrink(model[part])
    return MODELS.build(model)


def init_quietly(model: torch.nn.Module) -> None:
    """mmseg's initialisation, without mmengine's report of every tensor."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def build_pair(name: str,
               tiny: bool = False) -> Tuple[torch.nn.Module, torch.nn.Module]:
    """(segplug's model, mmseg's) for ``name`` in :data:`PAIRS`: mmseg's
    initialised weights (seed 0) converted into segplug's."""
    equivalent = PAIRS[name]
    torch.manual_seed(0)
    theirs = build_model(mmseg_config_file(equivalent.mmseg_config), tiny)
    init_quietly(theirs)
    ours = build_model(osp.join(mim_root(), equivalent.segplug_config), tiny)
    ours.load_state_dict(convert_mmseg_checkpoint(theirs.state_dict())[0])
    return ours, theirs


def build_shapes_model() -> torch.nn.Module:
    """The demo's DeepLab v3+ (configs/deeplabv3plus_shapes.py), initialised
    with seed 0, its data preprocessor left to the caller."""
    model = Config.fromfile(resolve_config('deeplabv3plus_shapes')).model
    sync_bn_to_bn(model)
    torch.manual_seed(0)
    built = MODELS.build(model)
    init_quietly(built)
    return built


def amp_wrapper(device: torch.device):
    """The optimizer wrapper ``--amp`` picks on ``device``
    (segplug.engine.enable_amp): fp16 with a dynamic loss scale on CUDA,
    bf16 autocast on a CPU."""
    if device.type == 'cuda':
        return partial(AmpOptimWrapper, loss_scale='dynamic')
    return BF16OptimWrapper


def amp_name(device: torch.device) -> str:
    """What :func:`amp_wrapper` runs in on ``device``, for a table."""
    return 'fp16' if device.type == 'cuda' else 'bf16'


def forward_step(model, x):
    """A call running ``model``'s whole-image forward on ``x``, no grad."""
    metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:])] * len(x)

    def step():
        with torch.no_grad():
            return model.encode_decode(x, metas)

    return step


def train_step(model, x, labels, amp: bool = False):
    """A call running one training step of ``model`` on ``x`` (N, 3, H, W)
    and ``labels`` (N, H, W): ``loss``, backward and an SGD update, what
    ``train_step`` does after the data preprocessor; with ``amp`` the
    mixed precision ``tools/train.py --amp`` uses on ``x``'s device
    (:func:`amp_wrapper`)."""
    samples = []
    for label in labels:
        sample = SegDataSample(gt_sem_seg=PixelData(data=label[None]))
        sample.set_metainfo(dict(img_shape=x.shape[2:], ori_shape=x.shape[2:]))
        samples.append(sample)
    sgd = torch.optim.SGD(
        model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    optim = amp_wrapper(x.device)(sgd) if amp else OptimWrapper(sgd)

    def step():
        with optim.optim_context(model):
            loss, _ = model.parse_losses(model.loss(x, samples))
        optim.update_params(loss)

    return step
