"""Exporting segplug's semantic segmentors to ONNX and running them with
onnxruntime; ``import segplug`` does not import this package."""
from .export_onnx import ExportError, export_onnx
from .gate import MAX_MIOU_DROP, MIN_AGREEMENT, GateResult, run_gate
from .model_loading import check_semantic, load_segmentor
from .onnx_encoder_decoder import OnnxEncoderDecoder
from .onnx_segmenter import OnnxSegmenter
from .parity import (Parity, compare_at_other_size, compare_with_onnxruntime,
                     ort_session, sample_image)
from .preprocess import preprocess, resize_logits
from .quantize import (TARGET_AGREEMENT, QuantizationReport, input_batches,
                       quantize_int8, training_images)
from .segmentor_graph import SegmentorGraph
from .sidecar import build_sidecar, read_sidecar, sidecar_path

__all__ = [
    'MAX_MIOU_DROP', 'MIN_AGREEMENT', 'TARGET_AGREEMENT', 'GateResult',
    'QuantizationReport', 'input_batches', 'quantize_int8', 'run_gate',
    'training_images', 'ExportError', 'OnnxEncoderDecoder', 'OnnxSegmenter',
    'Parity', 'SegmentorGraph', 'build_sidecar', 'check_semantic',
    'compare_at_other_size', 'compare_with_onnxruntime', 'export_onnx',
    'load_segmentor', 'ort_session', 'preprocess', 'read_sidecar',
    'resize_logits', 'sample_image', 'sidecar_path'
]
