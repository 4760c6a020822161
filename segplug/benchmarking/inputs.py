"""Inputs of the CRF benchmarks: a real photograph and the noisy class
probabilities a network at output stride 8 gives for it."""
import numpy as np
import torch
import torch.nn.functional as F


def sample_photo(size=(500, 375), path=None) -> np.ndarray:
    """An RGB uint8 photograph (H, W, 3) of ``size`` (width, height)."""
    from PIL import Image
    if path is None:
        import matplotlib.cbook
        path = matplotlib.cbook.get_sample_data('grace_hopper.jpg')
    img = Image.open(path).convert('RGB').resize(size, Image.BILINEAR)
    return np.array(img)


def noisy_probs(image: np.ndarray,
                num_labels: int = 21,
                seed: int = 0) -> torch.Tensor:
    """Realistically noisy softmax (C, H, W) for ``image``: colour-cluster
    labels, coarse (1/8) plus fine noise on the logits."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    codes = (image.astype(np.int64) // 64) @ np.array([1, 4, 16])
    labels = np.unique(codes, return_inverse=True)[1].reshape(h, w)
    labels = labels % num_labels
    logits = 2.5 * np.eye(num_labels, dtype=np.float32)[labels]
    coarse = torch.from_numpy(
        rng.normal(0, 1.5, (1, num_labels, h // 8 + 1, w // 8 + 1)))
    coarse = F.interpolate(coarse, size=(h, w), mode='bilinear')[0]
    fine = torch.from_numpy(rng.normal(0, 0.8, (num_labels, h, w)))
    logits = torch.from_numpy(logits.transpose(2, 0, 1)) + coarse + fine
    return torch.softmax(logits.float(), 0)
