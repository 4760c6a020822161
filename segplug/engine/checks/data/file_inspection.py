"""Decode one image or label file as the training pipeline will and record
what the data check needs to know about it (its facts).

Images are judged as mmcv's ``LoadImageFromFile`` reads them (OpenCV,
``IMREAD_COLOR``: libjpeg-turbo for JPEGs, the EXIF orientation applied),
labels as mmseg's ``LoadAnnotations`` does (Pillow, unchanged). The facts
hold no verdict, so a cached entry serves any ``num_classes``.

Corrupt JPEG data: libjpeg recovers from damaged entropy-coded data with
only a warning ("Corrupt JPEG data: N extraneous bytes before marker",
"premature end of data segment", "bad Huffman code") and returns an image
with grey or smeared blocks; OpenCV prints the warning (or nothing) and
returns the image, Pillow prints it without raising. So JPEGs are decoded
by libjpeg-turbo through ``simplejpeg`` with ``strict=True``, which turns
each such warning into an error, at 1/8 scale, which still reads every
coefficient (and takes less time than OpenCV's full decode, which it
replaces). Damage libjpeg itself does not notice (a flipped bit that still
forms valid codes) no decoder can find, and is not reported. A JPEG that
simplejpeg does not convert (CMYK, say), and every other format, is
decoded by OpenCV.
"""
import io
from typing import Optional, Tuple

import cv2
import numpy as np
import simplejpeg
from PIL import Image

IMAGE, LABEL = 'image', 'label'
# libjpeg's messages for damaged data, as simplejpeg raises them
_CORRUPTION = ('Corrupt JPEG data', 'Invalid SOS parameters',
               'Inconsistent progression')
_TRUNCATED = 'Premature end of JPEG file'  # OpenCV reads no image then
_COLOUR_MODES = ('RGB', 'RGBA', 'RGBX', 'CMYK', 'YCbCr', 'HSV', 'LAB')
_EXIF_ORIENTATION = 0x0112


def _read(path: str) -> Tuple[Optional[bytes], Optional[dict]]:
    """The file's bytes, or the facts of a file that cannot be read."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return None, dict(error='missing')
    except OSError as err:
        return None, dict(error='undecodable', detail=err.strerror)
    if not data:
        return None, dict(error='empty')
    return data, None


def _orientation(data: bytes) -> int:
    """The EXIF orientation of JPEG ``data`` (1, upright, without one)."""
    if b'Exif' not in data[:0x10000]:  # its APP1 segment comes first
        return 1
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # noqa: B902  a broken EXIF block OpenCV ignores too
        return 1


def _inspect_jpeg(data: bytes) -> Optional[dict]:
    """Facts of JPEG ``data`` from a strict libjpeg-turbo decode; None for
    one simplejpeg cannot read (left to OpenCV)."""
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(data)
        simplejpeg.decode_jpeg(
            data, colorspace='GRAY', min_factor=8, strict=True)
    except ValueError as err:
        message = str(err)
        if message.startswith(_TRUNCATED):
            return dict(error='undecodable', detail=message)
        if message.startswith(_CORRUPTION):
            return dict(error='corrupt', detail=message)
        return None
    orientation = _orientation(data)
    if orientation in (5, 6, 7, 8):  # turned by 90 degrees
        height, width = width, height
    facts = dict(shape=[height, width])
    if orientation != 1:
        facts['orientation'] = orientation
    return facts


def inspect_image(path: str) -> dict:
    """Facts of the image at ``path``: ``shape`` (height, width) after the
    EXIF orientation (and ``orientation``, where a JPEG has one other than
    upright), or ``error`` ('missing', 'empty', 'undecodable',
    'corrupt') with a ``detail``."""
    data, facts = _read(path)
    if facts is not None:
        return facts
    if data[:2] == b'\xff\xd8':
        facts = _inspect_jpeg(data)
        if facts is not None:
            return facts
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        img = None
    if img is None:
        return dict(error='undecodable', detail='not an image OpenCV reads')
    return dict(shape=list(img.shape[:2]))


def _label_facts(img: Image.Image) -> dict:
    facts = dict(shape=[img.height, img.width], mode=img.mode, channels=1)
    if img.mode in ('L', 'P'):
        # the histogram of indices, in C: 5x faster than numpy's bincount
        histogram = img.histogram()
        facts['values'] = [v for v, n in enumerate(histogram) if n]
        facts['counts'] = [n for n in histogram if n]
        return facts
    array = np.array(img)
    if array.ndim == 3:
        facts['channels'] = array.shape[2]
    if img.mode in _COLOUR_MODES:
        facts['colour'] = True
        facts['grey'] = bool(array.ndim == 3 and array.shape[2] >= 3
                             and (array[..., 0] == array[..., 1]).all()
                             and (array[..., 1] == array[..., 2]).all())
    elif array.ndim == 2 and array.dtype.kind in 'biu':
        values, counts = np.unique(array, return_counts=True)
        facts['values'] = values.astype(np.int64).tolist()
        facts['counts'] = counts.astype(np.int64).tolist()
    return facts


def inspect_label(path: str) -> dict:
    """Facts of the label at ``path``: ``shape`` (height, width), ``mode``
    (Pillow's), ``channels`` and, for one integer channel, the sorted
    ``values`` and their pixel ``counts``; ``colour`` for an RGB(A) label; or ``error`` ('missing',
    'empty', 'undecodable') with a ``detail``."""
    data, facts = _read(path)
    if facts is not None:
        return facts
    try:
        with Image.open(io.BytesIO(data)) as img:
            return _label_facts(img)
    # whatever Pillow raises (truncated, bad chunk, not an image), mmseg's
    # LoadAnnotations would raise the same in a data loader worker
    except Exception as err:  # noqa: B902
        return dict(error='undecodable', detail=str(err) or type(err).__name__)


def inspect_file(kind_path: Tuple[str, str]) -> dict:
    """:func:`inspect_image` or :func:`inspect_label` of ``(kind, path)``;
    one argument, for ``Pool.imap``."""
    kind, path = kind_path
    return inspect_image(path) if kind == IMAGE else inspect_label(path)
