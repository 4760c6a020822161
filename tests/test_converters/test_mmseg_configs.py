"""The table of mmseg models the converter knows: each names an installed
mmseg config and a segplug config of this repository."""
import os.path as osp

import pytest

from segplug.converters import MMSEG_HEADS, mmseg_config_file


@pytest.mark.parametrize('head', sorted(MMSEG_HEADS))
def test_every_head_names_existing_configs(repo_root, head):
    equivalent = MMSEG_HEADS[head]
    assert osp.isfile(mmseg_config_file(equivalent.mmseg_config))
    assert osp.isfile(osp.join(repo_root, equivalent.segplug_config))
    assert equivalent.model in osp.basename(equivalent.segplug_config)


def test_config_file_is_under_mmsegs_package():
    path = mmseg_config_file('mmseg::pspnet/x.py')
    assert path.endswith(osp.join('.mim', 'configs', 'pspnet', 'x.py'))


def test_a_name_without_the_mmseg_scope_is_refused():
    with pytest.raises(ValueError, match="expected 'mmseg::<path>'"):
        mmseg_config_file('pspnet/pspnet_r50-d8.py')
