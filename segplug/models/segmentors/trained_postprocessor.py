"""The segmentor's side of a postprocessor trained with the network
(``CRFAsRNN``): the checks at build time and the refinement of the logits
in training."""
import torch
from mmseg.models.utils import resize
from torch import Tensor

from .postprocessor_inputs import unnormalized_input


def check_trained_postprocessor(postprocessor, decode_head) -> None:
    """Raise ``ValueError`` where a postprocessor that trains with the
    network cannot take the decode head's logits."""
    if not getattr(postprocessor, 'trains_with_network', False):
        return
    name = type(postprocessor).__name__
    if decode_head.out_channels < 2:
        raise ValueError(
            f'postprocessor {name}: expected a decode head with one logit per '
            'class (softmax), got one output channel (use_sigmoid); set '
            'out_channels to num_classes')
    if postprocessor.num_classes != decode_head.num_classes:
        raise ValueError(
            f'postprocessor {name}: num_classes is '
            f'{postprocessor.num_classes} but the decode head has '
            f'{decode_head.num_classes}; expected the same')


def refine_in_training(postprocessor, logits: Tensor, inputs: Tensor,
                       data_preprocessor, align_corners: bool) -> Tensor:
    """The logits (N, L, h, w) upsampled to the inputs (N, 3, H, W) and
    refined by ``postprocessor.refine_logits`` against each un-normalised
    input image: (N, L, H, W), differentiable in the logits."""
    logits = resize(
        logits,
        size=inputs.shape[2:],
        mode='bilinear',
        align_corners=align_corners)
    return torch.stack([
        postprocessor.refine_logits(
            logits[i], unnormalized_input(inputs[i], None, data_preprocessor))
        for i in range(logits.shape[0])
    ])
