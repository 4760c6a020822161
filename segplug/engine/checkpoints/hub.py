"""Pretrained weights named by URL or ``open-mmlab://`` name, found in (or
fetched into) torch's hub cache and loaded weights-only.

mmengine's own loaders unpickle downloads without the weights-only
restriction and, offline, fail with a raw ``URLError``. These look for
``<torch hub dir>/checkpoints/<file name>`` first, download there only when
it is missing, and say in one line where to put the file when the download
fails.
"""
import http.client
import os
import os.path as osp
from typing import Optional
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_world_size
from mmengine.runner.checkpoint import (_get_mmengine_home,
                                        get_deprecated_model_names,
                                        get_external_models)

from ..errors import CheckpointError, DataNotFoundError
from .loading import load_from_local


def hub_cache_path(url: str) -> str:
    """Where torch's hub (and so this loader) keeps the file of ``url``."""
    name = osp.basename(urlparse(url).path)
    return osp.join(torch.hub.get_dir(), 'checkpoints', name)


def _local_rank() -> int:
    # mmengine's get_local_rank needs a local process group that its
    # pytorch launcher does not always create; torchrun sets LOCAL_RANK
    if get_world_size() == 1:
        return 0
    return int(os.environ.get('LOCAL_RANK', 0))


def _download(url: str, path: str) -> Optional[str]:
    """Fetch ``url`` to ``path``; the reason it failed, or None."""
    try:
        os.makedirs(osp.dirname(path), exist_ok=True)
        # torch writes to a temporary file and renames it when complete
        torch.hub.download_url_to_file(url, path, progress=False)
    except (OSError, ValueError, http.client.HTTPException) as err:
        reason = getattr(err, 'reason', None) or err
        return ' '.join(str(reason).split()) or type(err).__name__
    return None


def fetch_to_hub_cache(url: str, name: Optional[str] = None) -> str:
    """The hub cache path of ``url``, downloaded there if missing (by local
    rank 0 only; the other processes wait for it).

    Raises:
        DataNotFoundError: the file is not cached and cannot be fetched.
    """
    path = hub_cache_path(url)
    reason = None
    if _local_rank() == 0 and not osp.isfile(path):
        reason = _download(url, path)
    if get_world_size() > 1:
        barrier()  # every rank reaches it, so a failed download hangs none
    if osp.isfile(path):
        return path
    why = reason or 'local rank 0 could not fetch it'
    what = (f'{url} ({why})' if name in (None,
                                         url) else f'{name} ({url}: {why})')
    raise DataNotFoundError(
        f'cannot fetch {what}; put the file at {path} to use it offline, '
        'or set model.pretrained=None (or that init_cfg to None) to train '
        'from scratch')


def load_from_http(filename: str, map_location: Optional[str] = None) -> dict:
    """An http(s) checkpoint through the hub cache, loaded weights-only."""
    return load_from_local(fetch_to_hub_cache(filename), map_location)


def load_from_openmmlab(filename: str,
                        map_location: Optional[str] = None) -> dict:
    """An ``open-mmlab://`` (or ``openmmlab://``) name resolved as mmengine
    does, then loaded through the hub cache."""
    model_name = filename.split('://', 1)[1]
    model_name = get_deprecated_model_names().get(model_name, model_name)
    urls = get_external_models()
    if model_name not in urls:
        raise CheckpointError(
            f'{filename}: mmengine knows no model {model_name!r}; see '
            "mmengine's hub/openmmlab.json for the names it knows")
    url = urls[model_name]
    if not url.startswith(('http://', 'https://')):
        return load_from_local(
            osp.join(_get_mmengine_home(), url), map_location)
    return load_from_local(fetch_to_hub_cache(url, filename), map_location)
