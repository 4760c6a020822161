"""The model index (``model-index.yml`` and one ``metafile.yml`` per
family, in mmseg's and mim's format), built from the results tables of
the family READMEs so the two cannot drift: ``tools/make_model_index.py``
writes it, a test checks that the committed files are what it writes.

A README table row names a full config (VOC or COCO) and its shapes
version; the index gets one model for each, with the row's figures:
parameters and GFLOPs (of the full config at 512x512), the shapes result
and the paper's or the host library's reference figure.
"""
import os.path as osp
import re
from typing import Dict, List, Optional

import yaml

from .locations import mim_root

INDEX = 'model-index.yml'
METAFILE = 'metafile.yml'
HEADER = ('# Generated from README.md by tools/make_model_index.py: edit '
          'the README\n# and run that tool, not this file.\n')
_DATASETS = (('voc12aug', 'Pascal VOC 2012 + SBD'), ('coco', 'COCO 2017'),
             ('shapes', 'Shapes (synthetic)'))
_NUMBER = re.compile(r'-?\d+(?:\.\d+)?')


def load_model_index(root: Optional[str] = None) -> List[dict]:
    """Every model of the index under ``root`` (default the packaged
    ``segplug/.mim``), each with its collection under 'Collection'."""
    root = root or mim_root()
    with open(osp.join(root, INDEX), encoding='utf-8') as f:
        index = yaml.safe_load(f)
    models = []
    for meta_path in index['Import']:
        with open(osp.join(root, meta_path), encoding='utf-8') as f:
            meta = yaml.safe_load(f)
        collections = {c['Name']: c for c in meta.get('Collections', [])}
        for model in meta.get('Models', []):
            models.append(
                dict(model, Collection=collections[model['In Collection']]))
    return models


def _cells(line: str) -> List[str]:
    return [c.strip() for c in line.strip().strip('|').split('|')]


def _results_table(text: str):
    """(header cells, rows of cells) of the README's '| config |' table."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('| config |'):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith('|'):
                    break
                rows.append(_cells(row))
            return _cells(line), rows
    raise ValueError('no "| config |" results table')


def _name_and_note(cell: str):
    """('file.py', 'note') of a cell like "`file.py` (note)"; (None, '')
    for an empty or '—' cell."""
    found = re.match(r'`([^`]+\.py)`\s*(.*)', cell)
    if not found:
        return None, ''
    return found.group(1), found.group(2).strip().strip('()')


def _dataset(name: str) -> str:
    for key, dataset in _DATASETS:
        if key in name:
            return dataset
    raise ValueError(f'{name}: expected voc12aug, coco or shapes in the name')


def _number(cell: str):
    found = _NUMBER.match(cell.replace(',', ''))
    return float(found.group()) if found else None


def _shapes_metrics(header: List[str], row: List[str]) -> Dict[str, float]:
    """The shapes results of a row: mIoU, or bbox/segm AP, AP50, AP75."""
    metrics = {}
    for title, cell in zip(header, row):
        if title == 'shapes mIoU' and _number(cell) is not None:
            metrics['mIoU'] = _number(cell)
        found = re.match(r'shapes (bbox|segm) AP / AP50 / AP75', title)
        if found and cell:
            values = [float(v) for v in cell.split('/')]
            for key, value in zip(('AP', 'AP50', 'AP75'), values):
                metrics[f'{found.group(1)} {key}'] = value
    return metrics


def _task(metrics: Dict[str, float]) -> str:
    return ('Instance Segmentation' if any(
        k.startswith('segm') for k in metrics) else 'Semantic Segmentation')


def _row_models(family: str, collection: str, header, row) -> List[dict]:
    cells = dict(zip(header, row))
    full, full_note = _name_and_note(cells['config'])
    shapes, shapes_note = _name_and_note(cells['shapes version'])
    models = []
    if full:
        meta = {'Training Data': _dataset(full)}
        for key, title in (('Parameters (M)', 'params (M)'),
                           ('GFLOPs (512x512)', 'GFLOPs')):
            if cells.get(title):
                meta[key] = (
                    _number(cells[title]) if re.fullmatch(
                        r'[\d.]+', cells[title]) else cells[title])
        for title in ('backbone', 'parts'):
            if cells.get(title):
                meta['Architecture'] = cells[title]
        if full_note:
            meta['Notes'] = full_note
        if shapes:
            meta['Shapes Version'] = shapes[:-3]
        reference = header[-1]
        if not reference.startswith('shapes') and row[-1]:
            meta['Reference'] = {'Source': reference, 'Value': row[-1]}
        models.append(
            dict(
                Name=full[:-3],
                **{'In Collection': collection},
                Config=f'configs/{family}/{full}',
                Metadata=meta,
                Results=[]))
    if shapes:
        meta = {'Training Data': _dataset(shapes)}
        if full:
            meta['Full Version'] = full[:-3]
        notes = [n for n in (shapes_note, ) if n]
        metrics = _shapes_metrics(header, row)
        if cells.get('shapes mIoU', '').startswith(('—', '-')):
            notes.append('no shapes mIoU in the table; the README says why ' +
                         cells['shapes mIoU'].lstrip('—- '))
        text = cells.get('shapes mIoU', '')
        if ' after ' in text:
            notes.append(text[text.index(' after ') + 1:])
        if notes:
            meta['Notes'] = '; '.join(notes)
        results = [
            dict(
                Task=_task(metrics),
                Dataset='Shapes (synthetic)',
                Metrics=metrics)
        ] if metrics else []
        models.append(
            dict(
                Name=shapes[:-3],
                **{'In Collection': collection},
                Config=f'configs/{family}/{shapes}',
                Metadata=meta,
                Results=results))
    return models


def _collection(family: str, text: str) -> dict:
    title = re.search(r'^# (.+)$', text, re.M).group(1).strip()
    intro = text.split('\n\n')[1] if '\n\n' in text else ''
    collection = {'Name': title, 'README': f'configs/{family}/README.md'}
    paper = re.search(r'"([^"]+)"', intro)
    url = re.search(r'https?://\S+?(?=[.,]?\s|[.,]?$)', intro)
    if paper and url:
        collection['Paper'] = {
            'Title': ' '.join(paper.group(1).split()),
            'URL': url.group()
        }
    return collection


def build_model_index(repo: str, families: List[str]) -> Dict[str, str]:
    """{path relative to ``repo``: YAML text} of the index and of each
    family's metafile, from ``configs/<family>/README.md``."""
    files, imports = {}, []
    for family in families:
        readme = osp.join(repo, 'configs', family, 'README.md')
        with open(readme, encoding='utf-8') as f:
            text = f.read()
        collection = _collection(family, text)
        header, rows = _results_table(text)
        models = []
        for row in rows:
            models += _row_models(family, collection['Name'], header, row)
        path = f'configs/{family}/{METAFILE}'
        files[path] = HEADER + yaml.safe_dump(
            dict(Collections=[collection], Models=models),
            sort_keys=False,
            allow_unicode=True,
            width=79)
        imports.append(path)
    files[INDEX] = HEADER + yaml.safe_dump(
        dict(Import=imports), sort_keys=False)
    return files
