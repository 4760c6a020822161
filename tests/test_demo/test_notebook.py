"""demo/inference.ipynb runs from top to bottom (nbclient) on the suite's
shapes model, so that it cannot rot: every cell without error, its
pictures drawn, onnxruntime's labels those of PyTorch."""
import os.path as osp
import re

import pytest

from ..test_apis.trained import CONFIG, trained_checkpoint, val_images

pytestmark = pytest.mark.slow


def test_the_inference_notebook_runs(run_tool, shapes_root, tmp_path_factory,
                                     repo_root, monkeypatch):
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv('SEGPLUG_DEMO_CONFIG', CONFIG)
    monkeypatch.setenv(
        'SEGPLUG_DEMO_CHECKPOINT',
        trained_checkpoint(run_tool, shapes_root, tmp_path_factory))
    monkeypatch.setenv('SEGPLUG_DEMO_IMAGE', val_images(shapes_root)[0])
    nb = nbformat.read(
        osp.join(repo_root, 'demo', 'inference.ipynb'), as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name='python3',
        resources={
            'metadata': {
                'path': repo_root
            }
        }).execute()
    outputs = [o for cell in nb.cells for o in cell.get('outputs', [])]
    assert not [o for o in outputs if o.output_type == 'error']
    pictures = [o for o in outputs if 'image/png' in o.get('data', {})]
    assert len(pictures) == 3
    text = ''.join(o.get('text', '') for o in outputs)
    assert 'the CRF changed' in text
    agreement = re.search(r"labels equal to PyTorch's: ([0-9.]+)%", text)
    assert agreement and float(agreement.group(1)) >= 99.9, text
