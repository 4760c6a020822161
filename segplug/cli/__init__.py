"""The ``segplug`` command: one subcommand per tool, each taking the
arguments of its ``tools/<name>.py`` wrapper, from any folder.

    segplug train CONFIG [--work-dir DIR] [--resume] ...
    segplug configs [FILTER]
    segplug --help
"""
import difflib
import importlib
import sys
from typing import Dict, Optional, Sequence, Tuple

# name: (module under segplug.cli, what it does)
COMMANDS: Dict[str, Tuple[str, str]] = {
    'train': ('train', 'train a model from a config'),
    'test': ('test', 'evaluate a checkpoint on the config\'s test set'),
    'infer': ('infer', 'predict images, folders and videos'),
    'app': ('app', 'try a trained model in the browser (the app extra)'),
    'export': ('export', 'export a segmentor to ONNX, checked against '
               'PyTorch'),
    'check-deployed': ('check_deployed', 'the accuracy gate of an exported '
                       '(int8) model against its checkpoint'),
    'check-data': ('check_data', 'check every sample a config reads'),
    'configs': ('configs', 'list the packaged configs and their figures'),
    'config': ('config', 'where a packaged config is, or copy it out'),
    'print-config': ('print_config', 'print the resolved config, after the '
                     'checks'),
    'browse-dataset': ('browse_dataset', 'draw what the model trains on'),
    'publish-model': ('publish_model', 'strip a checkpoint for release, '
                      'its sha256 in its name'),
    'make-shapes': ('make_shapes', 'write the synthetic shapes data'),
    'prepare-voc': ('prepare_voc', 'add the SBD annotations to PASCAL '
                    'VOC 2012'),
    'convert-color-labels': ('convert_color_labels', 'turn colour label '
                             'PNGs into class indices'),
    'convert-vgg16': ('convert_vgg16', "convert torchvision's VGG-16 "
                      'weights for VGG16'),
    'convert-xception65': ('convert_xception65', "convert timm's "
                           'Xception-65 weights for Xception65'),
    'convert-mmseg': ('convert_mmseg', 'convert an mmseg DeepLab '
                      "v3/v3+/PSPNet checkpoint to segplug's layout"),
    'plot-logs': ('plot_logs', 'draw training curves and validation '
                  'metrics'),
    'confusion-matrix': ('confusion_matrix', 'draw the confusion matrix '
                         'and per-class IoU of a checkpoint'),
    'model-stats': ('model_stats', 'count the parameters and GFLOPs of '
                    'configs'),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        'usage: segplug COMMAND [ARGS ...]', '',
        'The classic segmentation lineage as OpenMMLab parts.', '',
        'commands (segplug COMMAND --help for each):'
    ]
    lines += [
        f'  {name:<{width}}  {summary}'
        for name, (_, summary) in COMMANDS.items()
    ]
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(usage())
        return
    if argv[0] in ('-V', '--version'):
        from segplug import __version__
        print(f'segplug {__version__}')
        return
    name = argv[0]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ''
        sys.exit(f'error: segplug has no command {name!r}{hint} '
                 '(segplug --help lists them)')
    module = importlib.import_module(f'segplug.cli.{COMMANDS[name][0]}')
    # argparse names the program after sys.argv[0]: 'segplug NAME'
    sys.argv[0] = f'segplug {name}'
    module.main(argv[1:])
