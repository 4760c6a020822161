"""List the packaged configs with their figures from the model index:
the name ``segplug::`` and the commands take, the data, parameters and
GFLOPs (of the full configs, at 512x512) and the shapes result or the
paper's or host library's reference figure.

    segplug configs [FILTER ...]

Each FILTER word must occur in the config's name, family or data
(case-insensitive), e.g. ``segplug configs deeplabv3plus shapes``.
"""
import argparse
from typing import List, Sequence

from segplug.recipes import load_model_index


def _figure(model: dict) -> str:
    results = model.get('Results') or []
    if results:
        return ', '.join(f'{k} {v}' for k, v in results[0]['Metrics'].items())
    reference = model['Metadata'].get('Reference')
    if not reference or reference['Value'].startswith('—'):
        return ''
    return f'{reference["Value"]} ({reference["Source"]})'


def rows(models: Sequence[dict], words: Sequence[str]) -> List[List[str]]:
    """Table rows (config, family, data, params, GFLOPs, result) of the
    models every word of ``words`` matches."""
    found = []
    for model in models:
        meta = model['Metadata']
        name = model['Config'][len('configs/'):]
        text = ' '.join((name, model['Collection']['Name'],
                         meta['Training Data'])).lower()
        if all(word.lower() in text for word in words):
            found.append([
                name, model['Collection']['Name'], meta['Training Data'],
                str(meta.get('Parameters (M)', '')),
                str(meta.get('GFLOPs (512x512)', '')),
                _figure(model)
            ])
    return found


def format_table(header: Sequence[str], table: List[List[str]]) -> str:
    widths = [
        max(len(r[i]) for r in [list(header)] + table)
        for i in range(len(header))
    ]
    return '\n'.join('  '.join(cell.ljust(w)
                               for cell, w in zip(row, widths)).rstrip()
                     for row in [list(header)] + table)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('filter', nargs='*', metavar='FILTER')
    args = parser.parse_args(argv)
    table = rows(load_model_index(), args.filter)
    if not table:
        raise SystemExit(f'error: no packaged config matches '
                         f'{" ".join(args.filter)!r} (segplug configs lists '
                         'them all)')
    print(
        format_table(('config', 'family', 'data', 'params (M)', 'GFLOPs',
                      'shapes result or reference'), table))
    print(f'\n{len(table)} configs; inherit one with '
          "_base_ = ['segplug::CONFIG'], copy one out with "
          'segplug config CONFIG --copy DIR')


if __name__ == '__main__':
    main()
