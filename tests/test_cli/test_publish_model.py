"""``segplug publish-model``: training state dropped, the hash in the name,
a file plain ``torch.load(weights_only=True)`` takes."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from segplug.cli import publish_model


def _training_checkpoint(path):
    torch.save(
        {
            'meta': {
                'iter': np.int64(40),
                'dataset_meta': {
                    'classes': ('bg', 'cat')
                },
                'mean': np.zeros(3, np.float32),
            },
            'state_dict': {
                'w': torch.ones(2, 3)
            },
            'optimizer': {
                'state': {
                    0: {
                        'momentum_buffer': torch.ones(2, 3)
                    }
                }
            },
            'message_hub': {
                'log_scalars': {
                    'loss': HistoryBuffer([0.7, 0.5], [1, 1])
                }
            },
            'param_schedulers': [{
                'last_step': 40
            }],
        }, path)


def test_publish_keeps_weights_and_meta_only(tmp_path, capsys):
    src = tmp_path / 'iter_40.pth'
    _training_checkpoint(src)
    publish_model.main([str(src), str(tmp_path / 'model.pth')])
    published = [f for f in os.listdir(tmp_path) if f.startswith('model-')]
    assert len(published) == 1
    path = tmp_path / published[0]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert published[0] == f'model-{digest[:8]}.pth'
    assert 'dropped: message_hub, optimizer, param_schedulers' in \
        capsys.readouterr().out
    # a process without segplug (no allow-list of its own) refuses the
    # training checkpoint and loads the published one
    script = ('import sys, torch\n'
              'for p in sys.argv[1:]:\n'
              '    try:\n'
              '        torch.load(p, weights_only=True); print("loads")\n'
              '    except Exception:\n'
              '        print("refused")\n')
    proc = subprocess.run(
        [sys.executable, '-c', script,
         str(src), str(path)],
        capture_output=True,
        text=True,
        check=True)
    assert proc.stdout.split() == ['refused', 'loads']
    loaded = torch.load(path, weights_only=True)
    assert set(loaded) == {'meta', 'state_dict'}
    assert loaded['meta']['iter'] == 40 and isinstance(loaded['meta']['iter'],
                                                       int)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2, 3))
    assert not [f for f in os.listdir(tmp_path) if '.tmp-' in f]


@pytest.mark.parametrize('problem', ['missing', 'torn', 'no_state_dict'])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, problem):
    src = tmp_path / 'in.pth'
    if problem == 'torn':
        _training_checkpoint(src)
        src.write_bytes(src.read_bytes()[:200])
    elif problem == 'no_state_dict':
        torch.save({'weights': torch.ones(1)}, src)
    with pytest.raises(SystemExit) as info:
        publish_model.main([str(src), str(tmp_path / 'out.pth')])
    message = str(info.value.code)
    assert message.startswith('error: ') and '\n' not in message
    assert str(src) in message
    assert [f for f in os.listdir(tmp_path) if f != 'in.pth'] == []
