"""The CRF trained inside the network (CRF-as-RNN) sharpens what the
network alone cannot: DeepLab v1's under-trained model (the shared
600-iteration run) fine-tuned for the same iterations with and without the
CRF inside it; the one with it must beat the one without on boundary
(trimap) mIoU at the narrowest band. Against the model without it plus the
post-hoc CRF the trained CRF is not reliably ahead on these short runs (the
margin changes sign with the seed, docs/testing.md), so that
comparison only guards against a trained CRF that is much worse."""
import re

import pytest

from ..utils import read_log
from . import test_learning
from .test_learning import V1_CRF_CONFIG, _test_scores, seed_options

pytestmark = pytest.mark.slow
# the neighbour's fixtures, so that the runs they make are shared
deeplabv1_run = test_learning.deeplabv1_run
shapes_full = test_learning.shapes_full
CRFASRNN_CONFIG = ('configs/deeplabv1/'
                   'deeplabv1-largefov-crfasrnn_vgg16-tiny_1xb8-500_shapes-'
                   '128x128.py')
ITERS = 80


def _fine_tune(run_tool, checkpoint, shapes_root, work, extra=()):
    """``ITERS`` iterations of the CRF-as-RNN config's fine-tuning from
    ``checkpoint`` at batch 4; (the checkpoint, the final validation's
    scores)."""
    opts = [
        f'load_from={checkpoint}',
        *(f'{loader}.dataset.data_root={shapes_root}'
          for loader in ('train_dataloader', 'val_dataloader',
                         'test_dataloader')),
        f'train_cfg.max_iters={ITERS}',
        f'train_cfg.val_interval={ITERS}',
        f'default_hooks.checkpoint.interval={ITERS}',
        f'param_scheduler.1.end={ITERS}',
        'default_hooks.logger.interval=20',
        # half the config's batch, for the suite's time; both runs alike
        'train_dataloader.batch_size=4',
        *seed_options(),
        *extra,
    ]
    run_tool([
        'tools/train.py', CRFASRNN_CONFIG, '--work-dir', work, '--cfg-options',
        *opts
    ],
             timeout=900)
    last = [ln for ln in read_log(work).splitlines() if 'trimap1' in ln][-1]
    scores = {
        k: float(v)
        for k, v in re.findall(r'(\w*mIoU): ([0-9.]+)', last)
    }
    return f'{work}/iter_{ITERS}.pth', scores


@pytest.mark.lane(1)
def test_crf_as_rnn_sharpens_boundaries_beyond_the_network_alone(
        deeplabv1_run, run_tool, shapes_full, tmp_path):
    _, under_trained = deeplabv1_run
    _, trained_crf = _fine_tune(run_tool, under_trained, shapes_full,
                                str(tmp_path / 'crfasrnn'))
    plain_ckpt, plain = _fine_tune(run_tool, under_trained, shapes_full,
                                   str(tmp_path / 'plain'),
                                   ['model.postprocessor=None'])
    plain_post_hoc = _test_scores(run_tool, V1_CRF_CONFIG, plain_ckpt,
                                  str(tmp_path / 'plain-crf'), shapes_full)
    runs = dict(
        crf_as_rnn=trained_crf, plain=plain, plain_post_hoc=plain_post_hoc)
    trimap1 = {name: scores['trimap1_mIoU'] for name, scores in runs.items()}
    # 3 points under the lowest margins measured (docs/testing.md)
    assert trimap1['crf_as_rnn'] >= trimap1['plain'] + 7, runs
    assert trimap1['crf_as_rnn'] >= trimap1['plain_post_hoc'] - 8, runs
