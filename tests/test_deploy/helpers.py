"""What the export and onnxruntime tests share: tiny configs and random
checkpoints."""
import os.path as osp

import torch
from mmengine.config import Config

from segplug.engine.inference.trained_model import build_for_inference

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEEPLABV3PLUS = ('configs/deeplabv3plus/'
                 'deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py')
PSPNET = 'configs/pspnet/pspnet_r18-tiny-d8_1xb8-5k_shapes-128x128.py'
CRF = ('configs/deeplabv1/'
       'deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
MASK_RCNN = ('configs/mask_rcnn/'
             'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')


def random_segmentor(config: str, seed: int = 0) -> torch.nn.Module:
    """The config's model with random weights and BN statistics (so that
    BN folding is checked too), in eval mode."""
    torch.manual_seed(seed)
    model = build_for_inference(Config.fromfile(osp.join(REPO, config)))
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def save_random_checkpoint(config: str, path: str) -> str:
    model = random_segmentor(config)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path
