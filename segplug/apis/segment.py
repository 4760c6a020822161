"""One call to segment paths or arrays with any :class:`Segmenter`."""
from typing import List, Sequence, Union

import cv2
import numpy as np

from .prediction import Segmenter, SegPrediction

ImageLike = Union[str, np.ndarray]


def read_image(path: str) -> np.ndarray:
    """The BGR uint8 image at ``path``.

    Raises:
        FileNotFoundError: no file there.
        ValueError: the file is no image OpenCV decodes.
    """
    data = np.fromfile(path, np.uint8)  # also for non-ASCII paths
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise ValueError(f'{path} is not a readable image')
    return img


def segment(
        model: Segmenter,
        inputs: Union[ImageLike, Sequence[ImageLike]],
        with_probs: bool = False) -> Union[SegPrediction, List[SegPrediction]]:
    """Predict an image path, a BGR uint8 array, or a list of them.

    Args:
        model (Segmenter): e.g. ``PytorchSegmenter(config, checkpoint)``.
        inputs: A path or array (one prediction back), or a list of them
            (a list back, in order).
        with_probs (bool): Also return class probabilities.
    """
    single = isinstance(inputs, (str, np.ndarray))
    items = [inputs] if single else list(inputs)
    images = [read_image(i) if isinstance(i, str) else i for i in items]
    predictions = model.predict(images, with_probs=with_probs)
    return predictions[0] if single else predictions
