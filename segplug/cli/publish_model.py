"""Make a trained checkpoint ready to publish: keep the weights and the
meta (classes, palette, config text), drop the optimizer, the message
hub and the scheduler states, and name the file after its sha256, as
OpenMMLab's model zoo does (``NAME-<first 8 hex digits>.pth``, what
``torch.hub`` checks a download against). The result loads with plain
``torch.load(weights_only=True)``, without segplug's allow-list.

    segplug publish-model work_dirs/demo/iter_5000.pth deeplabv3plus_shapes.pth
"""
import argparse
import hashlib
import os
import os.path as osp
import sys
from typing import Any, List, Tuple

import numpy as np
import torch

from segplug.engine import (CheckpointError, load_from_local,
                            replace_atomically, temp_name, user_errors_exit)

KEPT = ('state_dict', 'meta')


def _plain(value: Any, where: str) -> Any:
    """``value`` as types torch's weights-only unpickler takes without an
    allow-list: numpy values become Python ones or tensors."""
    if isinstance(value, dict):
        return {k: _plain(v, f'{where}.{k}') for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v, where) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if value is None or isinstance(value,
                                   (str, int, float, bool, torch.Tensor)):
        return value
    raise CheckpointError(f'{where} holds a {type(value).__name__}, which '
                          'a weights-only load refuses; remove it first')


def globals_beyond_torchs(path: str) -> List[str]:
    """What loading ``path`` with ``weights_only=True`` needs beyond torch's
    own allow-list (segplug's additions set aside while it looks)."""
    serialization = torch.serialization
    added = serialization.get_safe_globals()
    serialization.clear_safe_globals()
    try:
        return serialization.get_unsafe_globals_in_checkpoint(path)
    finally:
        serialization.add_safe_globals(added)


def sha256sum(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def publish(src: str, out: str) -> Tuple[str, List[str]]:
    """Write the published copy of ``src`` as ``out`` with its hash in the
    name; return (its path, the keys dropped)."""
    checkpoint = load_from_local(src, map_location='cpu')
    if not isinstance(checkpoint, dict) or not isinstance(
            checkpoint.get('state_dict'), dict):
        raise CheckpointError(f'{src}: expected a checkpoint with a '
                              "'state_dict', e.g. a work dir's iter_*.pth")
    published = {
        key: _plain(checkpoint[key], key)
        for key in KEPT if key in checkpoint
    }
    dropped = sorted(set(checkpoint) - set(KEPT))
    folder = osp.dirname(osp.abspath(out))
    if not osp.isdir(folder):
        raise CheckpointError(f'output folder not found: {folder}')
    tmp = temp_name(out)
    try:
        torch.save(published, tmp)
        unsafe = globals_beyond_torchs(tmp)
        if unsafe:
            raise CheckpointError(f'{src}: the published copy would need '
                                  f'{", ".join(unsafe)} to load')
        stem = out[:-len('.pth')] if out.endswith('.pth') else out
        final = f'{stem}-{sha256sum(tmp)[:8]}.pth'
        replace_atomically(tmp, final)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return final, dropped


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('src', help='a checkpoint, e.g. iter_5000.pth')
    parser.add_argument(
        'out', help='the published name; the hash is added before .pth')
    args = parser.parse_args(argv)
    if osp.abspath(args.src) == osp.abspath(args.out):
        sys.exit('error: expected OUT to differ from SRC')
    with user_errors_exit():
        final, dropped = publish(args.src, args.out)
    size = osp.getsize(final) / 2**20
    print(f'{final} ({size:.1f} MiB; dropped: '
          f'{", ".join(dropped) or "nothing"})')


if __name__ == '__main__':
    main()
