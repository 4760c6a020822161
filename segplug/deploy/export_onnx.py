"""Exporting a graph module to ONNX, naming the module an export fails in.

The TorchScript exporter comes first (fast, quiet, dynamic sizes). Where it
cannot convert an op at a fixed size (e.g. adaptive pooling to bins that do
not divide the feature map, PSPNet's 3 and 6), the dynamo exporter, which
decomposes such ops, is tried next.
"""
import contextlib
import io
import logging
import os
import sys
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..engine import ConfigError


class ExportError(ConfigError):
    """A model, or a part of it, cannot be exported."""


@contextlib.contextmanager
def _quiet():
    """No output from the exporters: they warn of every Python int traced,
    log each step and print the whole graph (from C++) on failure; the
    exception and the parity check say what matters."""
    torch_logger = logging.getLogger('torch')
    level = torch_logger.level
    torch_logger.setLevel(logging.CRITICAL)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with warnings.catch_warnings(), torch.no_grad(), \
                contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter('ignore')
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [devnull]:
            os.close(fd)
        torch_logger.setLevel(level)


def _torchscript(module: nn.Module,
                 args: Tuple,
                 target,
                 opset: int,
                 dynamic_axes: Optional[dict] = None,
                 names=(None, None)):
    with _quiet():
        torch.onnx.export(
            module,
            args,
            target,
            dynamo=False,
            opset_version=opset,
            input_names=names[0],
            output_names=names[1],
            dynamic_axes=dynamic_axes)


def _dynamo(module: nn.Module, args: Tuple, target: str, opset: int,
            names) -> None:
    with _quiet():
        torch.onnx.export(
            module,
            args,
            target,
            dynamo=True,
            opset_version=max(opset, 18),  # the dynamo exporter's lowest
            input_names=names[0],
            output_names=names[1])


def _tensors(arg) -> bool:
    if isinstance(arg, (list, tuple)):
        return bool(arg) and all(isinstance(a, Tensor) for a in arg)
    return isinstance(arg, Tensor)


def _calls(model: nn.Module, inputs: Tensor) -> Dict[str, Tuple]:
    """The tensor arguments of each submodule's first call, by name."""
    calls, handles = {}, []

    def record(name):

        def hook(module, args):
            if name not in calls and args and all(map(_tensors, args)):
                calls[name] = args

        return hook

    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(record(name)))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _fails(module: nn.Module, args: Tuple, opset: int) -> bool:
    try:
        _torchscript(module, args, io.BytesIO(), opset)
    except Exception:
        return True
    return False


def _failing_path(module: nn.Module, prefix: str, calls: dict,
                  opset: int) -> List[Tuple[str, nn.Module]]:
    """The chain of called submodules under ``module`` that fail to export
    alone, outermost first; modules never called (a segmentor whose parts
    the graph calls directly) are looked through."""
    for child_name, child in module.named_children():
        name = f'{prefix}.{child_name}' if prefix else child_name
        if name not in calls:
            path = _failing_path(child, name, calls, opset)
        elif _fails(child, calls[name], opset):
            path = [(name, child)] + _failing_path(child, name, calls, opset)
        else:
            continue
        if path:
            return path
    return []


def failing_parts(model: nn.Module, inputs: Tensor,
                  opset: int) -> List[Tuple[str, nn.Module]]:
    """(name, module) of the parts of ``model`` that cannot be exported on
    their own with the arguments they get inside it, outermost first;
    empty where no single part is to blame."""
    try:
        calls = _calls(model, inputs)
    except Exception:
        return []
    return _failing_path(model, '', calls, opset)


def _first_line(err: Exception) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    line = lines[0] if lines else type(err).__name__
    return line.split('. Please feel free')[0].split(' [Caused by')[0]


def _describe(parts: List[Tuple[str, nn.Module]]) -> str:
    if not parts:
        return 'the model'

    def one(name, module):
        return f'{type(module).__name__} ({name.replace("segmentor.", "")})'

    outer, inner = parts[0], parts[-1]
    text = one(*outer)
    return text if inner is outer else f'{text}, in its {one(*inner)}'


def export_onnx(graph: nn.Module,
                path: str,
                shape: Sequence[int],
                dynamic: bool = False,
                opset: int = 17) -> str:
    """Export ``graph`` (a :class:`SegmentorGraph`) to ``path``, traced on a
    (1, 3, H, W) input of ``shape``; with ``dynamic`` the batch, height and
    width are free. Returns the exporter used ('torchscript' or 'dynamo').

    Raises:
        ExportError: naming the module types (and their paths in the
            model) the exporter fails in, and the exporter's reason.
    """
    graph.eval()
    x = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(0))
    output = 'labels' if getattr(graph, 'argmax', False) else 'logits'
    names = (['input'], [output])
    axes = None
    if dynamic:
        free = {0: 'batch', 2: 'height', 3: 'width'}
        axes = {'input': free, output: free}
        if output == 'labels':
            axes[output] = {0: 'batch', 1: 'height', 2: 'width'}
    try:
        _torchscript(graph, (x, ), path, opset, axes, names)
        return 'torchscript'
    except Exception as err:
        error = err
    if not dynamic:
        try:
            _dynamo(graph, (x, ), path, opset, names)
            return 'dynamo'
        except Exception:
            pass
    hint = ('; export at a fixed size (--shape H W without --dynamic)'
            if dynamic else '')
    raise ExportError(
        f'cannot export {_describe(failing_parts(graph, x, opset))} to ONNX '
        f'opset {opset}: {_first_line(error)}{hint}') from error
