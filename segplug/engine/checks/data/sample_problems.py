"""What is wrong with one sample, from the facts of its files
(:mod:`.file_check`) and the label values the model accepts."""
from typing import Dict, List, Optional, Tuple

from .sample_list import LabelRules, LeafSamples, Problem
from .file_inspection import IMAGE, LABEL

_SHOWN_VALUES = 5


def _size(shape: List[int]) -> str:
    return f'{shape[1]}x{shape[0]}'


def _few(values: List[int]) -> str:
    more = (f' ... ({len(values)} values)'
            if len(values) > _SHOWN_VALUES else '')
    return ', '.join(map(str, values[:_SHOWN_VALUES])) + more


def _loaded_value(value: int, info: dict) -> int:
    """``value`` as mmseg's LoadAnnotations hands it on: zero (and 255)
    to 255 and the rest one down with reduce_zero_label, then the
    dataset's label_map."""
    if info.get('reduce_zero_label'):
        value = 255 if value in (0, 255) else value - 1
    label_map = info.get('label_map')
    if label_map:
        value = label_map.get(value, value)
    return value


def _bad_values(values: List[int], info: dict, rules: LabelRules) -> List[int]:
    """The values of the file that the model would not accept."""
    bad = []
    for value in values:
        loaded = _loaded_value(value, info)
        if not (0 <= loaded < rules.num_classes
                or loaded == rules.ignore_index):
            bad.append(value)
    return bad


def _label_problems(loader: str, path: str, facts: dict,
                    image_shape: Optional[List[int]], info: dict,
                    rules: Optional[LabelRules]) -> List[Problem]:
    if 'error' in facts:
        return [
            Problem(loader, 'label:' + facts['error'], path,
                    facts.get('detail', ''))
        ]
    found = []
    if facts.get('colour'):
        grey = ', all channels equal' if facts.get('grey') else ''
        found.append(
            Problem(loader, 'label:colour', path, facts['mode'] + grey))
    elif 'values' not in facts:
        found.append(
            Problem(loader, 'label:channels', path, f"mode {facts['mode']}"))
    if image_shape and facts['shape'] != image_shape:
        found.append(
            Problem(loader, 'label:size', path,
                    f"{_size(facts['shape'])}, image {_size(image_shape)}"))
    values = facts.get('values')
    if values is not None:
        wide = [v for v in values if not 0 <= v <= 255]
        bad = _bad_values(values, info, rules) if rules else []
        if wide:
            found.append(
                Problem(loader, 'label:wide', path, 'values ' + _few(wide)))
        elif bad:
            found.append(
                Problem(loader, 'label:values', path, 'values ' + _few(bad)))
    return found


def sample_problems(leaf: LeafSamples, info: dict, facts: Dict[Tuple[str, str],
                                                               dict],
                    rules: Optional[LabelRules]) -> List[Problem]:
    """The problems of the sample ``info`` of ``leaf``; none if fine."""
    path = info.get('img_path')
    if not path:
        return []
    image = facts[(IMAGE, path)]
    found = []
    shape = image.get('shape')
    if 'error' in image:
        found.append(
            Problem(leaf.loader, 'image:' + image['error'], path,
                    image.get('detail', '')))
    elif leaf.detection and shape != [info['height'], info['width']]:
        found.append(
            Problem(
                leaf.loader, 'image:size', path,
                f"{_size(shape)}, annotation file "
                f"{_size([info['height'], info['width']])}"))
    seg = info.get('seg_map_path') if leaf.labels else None
    if seg:
        found += _label_problems(leaf.loader, seg, facts[(LABEL, seg)], shape,
                                 info, rules)
    return found
