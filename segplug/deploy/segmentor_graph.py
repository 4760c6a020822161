"""The part of a segmentor that goes into an exported graph."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SegmentorGraph(nn.Module):
    """The whole-image forward of an mmseg ``EncoderDecoder``: the
    normalised image (N, 3, H, W) to logits (N, C, H, W) at the input's
    size, or with ``argmax`` the int64 label map (N, H, W).

    This is ``encode_decode`` (backbone, neck, decode head, bilinear resize
    as the head's ``predict_by_feat`` does) with the resize taken from the
    input tensor rather than from ``img_shape``, so that a dynamic export
    follows the input's size. Test modes that tile ('slide', U-Net's
    'overlap_tile') run the same forward per tile; the graph holds the
    whole-image one. The data preprocessor (normalisation, channel order,
    padding) stays outside: :func:`segplug.deploy.preprocess` does it.

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``; it is put in
            eval mode.
        argmax (bool): Return the label map instead of the logits.
            Default: False.
    """

    def __init__(self, segmentor: nn.Module, argmax: bool = False):
        super().__init__()
        self.segmentor = segmentor
        self.argmax = argmax
        # the exporters put every submodule back into the top module's
        # mode: a graph left in training mode would leave BN training
        self.eval()

    def forward(self, inputs: Tensor) -> Tensor:
        seg = self.segmentor
        logits = seg.decode_head.forward(seg.extract_feat(inputs))
        logits = F.interpolate(
            logits,
            size=inputs.shape[2:],
            mode='bilinear',
            align_corners=seg.align_corners)
        if self.argmax:
            return torch.argmax(logits, dim=1)
        return logits
