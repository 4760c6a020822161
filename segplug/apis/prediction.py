"""What a segmenter returns for one image, whatever runs the model."""
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np


@dataclass
class SegPrediction:
    """The prediction for one image, at that image's own size.

    Attributes:
        labels (np.ndarray): (H, W) int64 class indices.
        probs (np.ndarray, optional): (C, H, W) float32 class
            probabilities (after the CRF where one ran), when asked for.
    """
    labels: np.ndarray
    probs: Optional[np.ndarray] = None


class Segmenter(ABC):
    """The interface of segplug's inference backends (PyTorch, onnxruntime).

    Attributes:
        classes (tuple[str]): Class names, index order.
        palette (list[list[int]]): One RGB colour per class.
    """
    classes: Sequence[str]
    palette: List[List[int]]

    @abstractmethod
    def predict(self,
                images: List[np.ndarray],
                with_probs: bool = False) -> List[SegPrediction]:
        """Predict BGR uint8 images (H, W, 3), of any and differing sizes."""
