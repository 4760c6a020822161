"""int8 under onnxruntime for the speed benchmarks: the machine's int8
matrix-multiply peak, an int8 model of an export, a profile by op type."""
import collections
import json
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List, Sequence, Tuple

import numpy as np


def _session(path: str, threads: int, profile_prefix: str = None):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(
        path, options, providers=['CPUExecutionProvider'])


def int8_matmul_peak(threads: int,
                     size: int = 2048,
                     repeats: int = 3) -> float:
    """The best GOP/s (2 per multiply-add) of ``repeats`` size^3 products
    of a uint8 by an int8 matrix (onnxruntime's ``MatMulInteger``, the
    kernel its quantized convolutions are lowered to) at ``threads``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    b = rng.integers(-128, 128, (size, size), dtype=np.int8)
    graph = helper.make_graph(
        [helper.make_node('MatMulInteger', ['a', 'b'], ['y'])], 'peak',
        [helper.make_tensor_value_info('a', TensorProto.UINT8, [size, size])],
        [helper.make_tensor_value_info('y', TensorProto.INT32, [size, size])],
        [numpy_helper.from_array(b, 'b')])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', 17)])
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'peak.onnx')
        onnx.save(model, path)
        session = _session(path, threads)
    feed = {'a': rng.integers(0, 256, (size, size), dtype=np.uint8)}
    session.run(None, feed)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feed)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def quantize_for_benchmark(fp32_path: str,
                           out_path: str,
                           shape: Sequence[int],
                           calib: int = 4) -> dict:
    """An int8 model of the export at ``fp32_path`` as segplug export
    makes it (segplug.deploy.quantize), calibrated on ``calib`` seeded
    normal inputs of ``shape`` (the benchmark's models have random
    weights: there is no trained accuracy to keep, so no fallback)."""
    from ..deploy.quantize import quantize_int8
    rng = np.random.default_rng(0)
    inputs = [
        rng.standard_normal((1, 3, *shape)).astype(np.float32)
        for _ in range(calib)
    ]
    return quantize_int8(
        fp32_path,
        out_path,
        inputs,
        inputs[:1],
        target=0.0,
        log=lambda _: None).as_dict()


def ort_step(path: str, x: np.ndarray, threads: int):
    """A call running the model at ``path`` on ``x`` under onnxruntime."""
    session = _session(path, threads)
    return lambda: session.run(None, {'input': x})[0]


def profile_by_op(path: str,
                  x: np.ndarray,
                  threads: int,
                  runs: int = 2) -> List[Tuple[str, int, float, float]]:
    """(op type, nodes, ms per run, share) of onnxruntime's kernel time
    for the model at ``path``, largest first: onnxruntime's profiler over
    ``runs`` + 1 runs, averaged per run."""
    with tempfile.TemporaryDirectory() as tmp:
        session = _session(path, threads, osp.join(tmp, 'profile'))
        for _ in range(runs + 1):
            session.run(None, {'input': x})
        trace = session.end_profiling()
        with open(trace) as f:
            events = json.load(f)
        os.remove(trace)
    times: Dict[str, float] = collections.Counter()
    nodes: Dict[str, set] = collections.defaultdict(set)
    for event in events:
        args = event.get('args') or {}
        if event.get('cat') == 'Node' and event['name'].endswith(
                '_kernel_time'):
            op = args.get('op_name', '?')
            times[op] += event['dur']
            nodes[op].add(event['name'])
    total = sum(times.values()) or 1
    return [(op, len(nodes[op]), us / (runs + 1) / 1e3, us / total)
            for op, us in times.most_common()]
