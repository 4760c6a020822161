"""Mixed precision training on a CPU: the forward pass and the loss under
bf16 autocast, fp32 weights and gradients.

mmengine's ``AmpOptimWrapper`` refuses a CPU. bf16 keeps fp32's exponent
range, so no loss scaling is needed: this wrapper is ``OptimWrapper`` with
autocast added to its context.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose ``optim_context`` runs under bf16 autocast on
    the device of the model's parameters."""

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device
        with super().optim_context(model), torch.autocast(
                device_type=device.type, dtype=torch.bfloat16):
            yield
