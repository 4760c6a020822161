"""A 1x1 ``ConvModule`` for pooled features that also trains at batch 1."""
import torch
import torch.distributed as dist
from mmcv.cnn import ConvModule
from torch.nn.modules.batchnorm import _BatchNorm


def _synced_across_processes(norm: _BatchNorm) -> bool:
    return (isinstance(norm, torch.nn.SyncBatchNorm) and dist.is_available()
            and dist.is_initialized()
            and dist.get_world_size(norm.process_group) > 1)


def sees_one_value(norm, x: torch.Tensor) -> bool:
    """Whether batch norm ``norm`` in training would normalise ``x`` (N, C,
    H, W) over a single value per channel.

    BN over one value is degenerate: the value minus its own mean is 0, so
    the output is the bias and no gradient passes; torch refuses it
    ('Expected more than 1 value per channel when training'). A SyncBN
    synchronised across processes sees one value per process, which is
    enough.
    """
    return (isinstance(norm, _BatchNorm) and norm.training
            and norm.track_running_stats and x.shape[0] * x[0, 0].numel() == 1
            and not _synced_across_processes(norm))


class PooledConvModule(ConvModule):
    """A ``ConvModule`` (with a 1x1 conv) for globally pooled features, as in
    ASPP's image-level branch and PSPNet's bin 1.

    Pooled to 1x1, a batch of one image gives its batch norm one value per
    channel, which it cannot normalise (see :func:`sees_one_value`). For such
    a step this module normalises with the running statistics instead, as at
    test time, and leaves them as they are; the gradient then reaches the
    conv through the BN's affine map. Steps with more values (batches of 2+)
    are plain ``ConvModule`` steps. Trained only at batch 1, the running
    statistics stay at their initial values (mean 0, variance 1), which is
    what the model then also uses at test time: training and testing agree.

    The arguments are ``ConvModule``'s; the state dict keys are its too, so
    checkpoints of either load in the other.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shape = (*self.conv.kernel_size, *self.conv.stride)
        if shape != (1, 1, 1, 1):
            raise ValueError('PooledConvModule: expected a 1x1 conv of '
                             f'stride 1, got kernel_size x stride {shape}')

    def forward(self,
                x: torch.Tensor,
                activate: bool = True,
                norm: bool = True) -> torch.Tensor:
        """``(N, C_in, H, W)`` to ``(N, C_out, H', W')``, as ``ConvModule``.
        """
        bn = self.norm if self.with_norm and norm else None
        # the conv keeps H x W (1x1, stride 1): the norm sees x's values
        if bn is None or not sees_one_value(bn, x):
            return super().forward(x, activate, norm)
        bn.training = False
        try:
            return super().forward(x, activate, norm)
        finally:
            bn.training = True
