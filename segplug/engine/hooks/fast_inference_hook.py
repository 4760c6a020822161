"""Put the tested model on the fast inference path once its checkpoint is
loaded: what ``tools/test.py --fast`` (or ``fast_inference`` in a config)
adds to the run."""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..inference.fast_path import FastOptions, make_fast


@HOOKS.register_module()
class FastInferenceHook(Hook):
    """Apply :func:`segplug.engine.inference.fast_path.make_fast` before
    the test epoch (the Runner loads the checkpoint before the test loop
    starts).
    Validation during training is left on the fp32 path: folding BN would
    freeze the statistics the next training iteration updates.

    Args:
        fold_bn, bf16: see :class:`~segplug.engine.inference.fast_path.
            FastOptions`, which checks them.
    """
    priority = 'LOWEST'

    def __init__(self, fold_bn=True, bf16='auto'):
        self.options = FastOptions(fold_bn=fold_bn, bf16=bf16)

    def before_test_epoch(self, runner) -> None:
        runner.model.eval()
        runner.logger.info(make_fast(runner.model, self.options))
