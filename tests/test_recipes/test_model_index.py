"""The model index is what the family READMEs say, lists every config, and
reads back with its figures."""
import glob
import os.path as osp

import yaml

from segplug.recipes import load_model_index
from segplug.recipes.model_index import build_model_index
from ..utils import load_tool


def test_committed_index_is_what_the_readmes_give(repo_root):
    tool = load_tool(repo_root, 'make_model_index')
    files = build_model_index(repo_root, tool.families(repo_root))
    assert 'model-index.yml' in files and len(files) == 10
    stale = [
        path for path, text in files.items()
        if open(osp.join(repo_root, path), encoding='utf-8').read() != text
    ]
    assert not stale, (f'{stale} differ from the READMEs: run python '
                       'tools/make_model_index.py')


def test_every_leaf_config_is_in_the_index_once(repo_root):
    models = load_model_index(repo_root)
    listed = [m['Config'] for m in models]
    on_disk = {
        osp.relpath(p, repo_root)
        for p in glob.glob(osp.join(repo_root, 'configs', '*', '*.py'))
        if '_base_' not in p
    }
    assert sorted(listed) == sorted(on_disk)


def test_figures_read_back_as_numbers(repo_root):
    models = {m['Name']: m for m in load_model_index(repo_root)}
    shapes = models['deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128']
    assert shapes['Results'][0]['Metrics']['mIoU'] == 84.0
    assert shapes['Collection']['Name'] == 'DeepLab v3+'
    full = models['deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512']
    assert full['Metadata']['Parameters (M)'] == 43.6
    assert full['Metadata']['Reference']['Value'] == '75.93 / 76.81'
    mask = models['mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128']
    assert mask['Results'][0]['Task'] == 'Instance Segmentation'
    assert mask['Results'][0]['Metrics']['segm AP'] == 0.678


def test_a_changed_readme_figure_changes_the_index(repo_root, tmp_path):
    """The check above can fail: a figure edited in a README is a
    different index."""
    family = tmp_path / 'configs' / 'pspnet'
    family.mkdir(parents=True)
    text = open(osp.join(repo_root, 'configs/pspnet/README.md')).read()
    (family / 'README.md').write_text(text.replace('| 90.0 |', '| 91.0 |'))
    meta = yaml.safe_load(
        build_model_index(str(tmp_path),
                          ['pspnet'])['configs/pspnet/metafile.yml'])
    shapes = [m for m in meta['Models'] if m['Results']][0]
    assert shapes['Results'][0]['Metrics']['mIoU'] == 91.0
