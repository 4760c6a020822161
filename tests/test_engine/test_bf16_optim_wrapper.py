import torch
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn

import segplug  # noqa: F401


def test_forward_runs_in_bf16_and_weights_stay_fp32():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 2, 1))
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='BF16OptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    x, target = torch.randn(4, 3, 16, 16), torch.randint(0, 2, (4, 14, 14))
    losses = []
    for _ in range(5):
        with wrapper.optim_context(model):
            logits = model(x)
            loss = nn.functional.cross_entropy(logits.float(), target)
        assert logits.dtype == torch.bfloat16
        wrapper.update_params(loss)
        losses.append(loss.item())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert losses[-1] < losses[0]
    # outside the context the model is fp32 again
    assert model(x).dtype == torch.float32
