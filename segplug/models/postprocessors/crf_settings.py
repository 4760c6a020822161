"""The dense CRF's settings, their defaults and their check, shared by
:func:`~.dense_crf.dense_crf`, :class:`~.dense_crf.DenseCRF` and
:class:`~.crf_as_rnn.CRFAsRNN`."""
import math
from dataclasses import dataclass

NORMALIZATIONS = ('symmetric', 'row')


@dataclass(frozen=True)
class CRFSettings:
    """Mean-field iterations and kernels of the fully-connected CRF; the
    defaults are DeepLab v1 LargeFOV's on PASCAL VOC.

    Args:
        num_iters (int): mean-field iterations (at test, for CRFAsRNN).
            Default 10.
        bi_weight (float): w1, appearance kernel weight. Default 4.
        bi_xy_std (float): theta_alpha in pixels. Default 121.
        bi_rgb_std (float): theta_beta in intensity levels. Default 5.
        pos_weight (float): w2, smoothness kernel weight. Default 3.
        pos_xy_std (float): theta_gamma in pixels. Default 3.
        min_prob (float): probabilities are clamped to at least this
            before the unary -log(p) is taken. Default 1e-5.
        normalization (str): how each kernel's message is normalised:
            'symmetric', D^-1/2 K D^-1/2 as Krähenbühl's code and
            pydensecrf; 'row', D^-1 K, the filtered message divided by the
            kernel's total weight at the pixel, as the CRF-as-RNN authors'
            code. D = diag(K 1). Default 'symmetric'.

    Raises:
        ValueError, TypeError: "expected X, got Y" for a bad value.
    """
    num_iters: int = 10
    bi_weight: float = 4.0
    bi_xy_std: float = 121.0
    bi_rgb_std: float = 5.0
    pos_weight: float = 3.0
    pos_xy_std: float = 3.0
    min_prob: float = 1e-5
    normalization: str = 'symmetric'

    def __post_init__(self):
        if (not isinstance(self.num_iters, int)
                or isinstance(self.num_iters, bool) or self.num_iters < 0):
            raise ValueError('dense_crf: num_iters: expected an int >= 0, '
                             f'got {self.num_iters!r}')
        for name, low in (('bi_weight', 0), ('pos_weight', 0),
                          ('bi_xy_std', None), ('bi_rgb_std',
                                                None), ('pos_xy_std', None)):
            _check_number(name, getattr(self, name), low)
        if (not isinstance(self.min_prob,
                           (int, float)) or isinstance(self.min_prob, bool)
                or not 0 < self.min_prob < 1):
            raise ValueError('dense_crf: min_prob: expected a number in '
                             f'(0, 1), got {self.min_prob!r}')
        if self.normalization not in NORMALIZATIONS:
            raise ValueError("dense_crf: normalization: expected 'symmetric' "
                             f"or 'row', got {self.normalization!r}")


def _check_number(name: str, value, low) -> None:
    """A finite number, >= 0 where ``low`` is 0, else > 0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f'dense_crf: {name}: expected a number, got '
                        f'{value!r}')
    if not math.isfinite(value) or value < 0 or (low is None and value <= 0):
        bound = '>= 0' if low == 0 else '> 0'
        raise ValueError(f'dense_crf: {name}: expected a finite number '
                         f'{bound}, got {value!r}')
