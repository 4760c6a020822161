"""segplug as a user installs it: the wheel built from this checkout, in a
fresh virtual environment that reuses the installed stack, driven from a
folder outside the repository by the ``segplug`` command and by mim."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest
import yaml

pytestmark = pytest.mark.slow

SHAPES = 'deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'
# what a build needs of the checkout: not its .venv, data or work dirs at
# the top (the package has folders named data too), nor caches anywhere
_TOP_ONLY = {'.git', '.venv', 'work_dirs', 'data', 'build', 'dist'}
_ANYWHERE = shutil.ignore_patterns('*.egg-info', '__pycache__',
                                   '.pytest_cache')


def _not_built(repo_root):

    def ignore(folder, names):
        skipped = set(_ANYWHERE(folder, names))
        if osp.samefile(folder, repo_root):
            skipped |= _TOP_ONLY & set(names)
        return skipped

    return ignore


def _run(cmd, cwd, timeout=600):
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONUNBUFFERED='1'))
    assert proc.returncode == 0, (f'{cmd} failed ({proc.returncode}):\n'
                                  f'{proc.stdout[-3000:]}\n'
                                  f'{proc.stderr[-3000:]}')
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def wheel(repo_root, tmp_path_factory):
    """The sdist and wheel of ``python -m build`` (the wheel built from
    the sdist, so the sdist must carry what the wheel needs)."""
    source = tmp_path_factory.mktemp('source') / 'segplug'
    shutil.copytree(
        repo_root, source, symlinks=True, ignore=_not_built(repo_root))
    dist = tmp_path_factory.mktemp('dist')
    _run([
        sys.executable, '-m', 'build', '--no-isolation', '--outdir',
        str(dist),
        str(source)
    ], source)
    wheels = [f for f in os.listdir(dist) if f.endswith('.whl')]
    assert len(wheels) == 1 and any(
        f.endswith('.tar.gz') for f in os.listdir(dist))
    return str(dist / wheels[0])


@pytest.fixture(scope='module')
def env(wheel, tmp_path_factory):
    """A new virtual environment with the wheel installed without
    dependencies; the stack (torch, mmcv, mmseg, ...) comes from this
    interpreter's site-packages through a .pth file, which does not run
    that folder's own .pth files (the checkout's editable install)."""
    root = tmp_path_factory.mktemp('venv') / 'env'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(root)],
                   check=True)
    python = str(root / 'bin' / 'python')
    site = subprocess.run([
        python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
        "['purelib'])"
    ],
                          capture_output=True,
                          text=True,
                          check=True).stdout.strip()
    with open(osp.join(site, 'segplug_test_stack.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    _run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--no-deps', '--no-index', '-q', wheel
    ], str(root))
    return root


def test_the_wheel_carries_configs_tools_and_the_index(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert f'segplug/.mim/configs/{SHAPES}' in names
    assert 'segplug/.mim/configs/_base_/default_runtime.py' in names
    assert 'segplug/.mim/configs/fcn/metafile.yml' in names
    assert 'segplug/.mim/model-index.yml' in names
    assert 'segplug/.mim/tools/train.py' in names
    assert 'segplug/.mim/tools/slurm_train.sh' in names
    # the project's own GPU measurement scripts stay in the checkout
    assert not [n for n in names if n.startswith('segplug/.mim/tools/gpu')]
    assert not [n for n in names if '__pycache__' in n]
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    requires = re.findall(r'^Requires-Dist: (.+)$', metadata, re.M)
    assert 'torch>=2.5' in requires
    # ranges, no pins
    assert not [r for r in requires if '==' in r.split(';')[0]]


def test_a_user_project_inherits_trains_tests_infers_exports(
        env, shapes_root, tmp_path, repo_root):
    """From an empty folder: list the configs, inherit one by segplug::,
    train two iterations, test, infer, export, publish, and the same
    through mim."""
    segplug = str(env / 'bin' / 'segplug')
    python = str(env / 'bin' / 'python')
    project = tmp_path / 'project'
    project.mkdir()
    where = _run([python, '-c', 'import segplug; print(segplug.__file__)'],
                 project).strip()
    assert where.startswith(str(env)), where  # not the checkout's
    assert _run([segplug, 'config', SHAPES],
                project).strip().startswith(str(env))

    listing = _run([segplug, 'configs', 'deeplabv3plus', 'shapes'], project)
    # the figure the checkout's family README gives
    with open(osp.join(repo_root, 'configs', 'deeplabv3plus',
                       'metafile.yml')) as f:
        miou = next(m['Results'][0]['Metrics']['mIoU']
                    for m in yaml.safe_load(f)['Models']
                    if m['Config'].endswith(SHAPES))
    assert re.search(rf'^{re.escape(SHAPES)} .*mIoU {miou}$', listing, re.M)

    roots = '\n'.join(
        f'{loader} = dict(dataset=dict(data_root={shapes_root!r}))'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'))
    (project / 'my_config.py').write_text(
        f"_base_ = ['segplug::{SHAPES}']\n"
        f'{roots}\n'
        'model = dict(decode_head=dict(dropout_ratio=0.2))\n'
        'train_cfg = dict(max_iters=2, val_interval=2)\n'
        'default_hooks = dict(checkpoint=dict(interval=2))\n'
        "param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=2,"
        ' by_epoch=False)]\n')
    out = _run([segplug, 'train', 'my_config.py', '--work-dir', 'work'],
               project)
    assert 'Iter(train) [2/2]' in out
    checkpoint = str(project / 'work' / 'iter_2.pth')
    assert osp.isfile(checkpoint)

    out = _run([
        segplug, 'test', 'my_config.py', checkpoint, '--work-dir', 'work/test'
    ], project)
    assert re.search(r'Iter\(test\) \[\d+/\d+\].*mIoU: [\d.]+', out)

    image = osp.join(shapes_root, 'JPEGImages', 'val_00000.jpg')
    out = _run([
        segplug, 'infer', 'my_config.py', checkpoint, image, '--out',
        'predicted'
    ], project)
    assert 'predicted 1 images' in out
    assert osp.isfile(project / 'predicted' / 'labels' / 'val_00000.png')

    out = _run(
        [segplug, 'export', 'my_config.py', checkpoint, '--out', 'model.onnx'],
        project)
    assert 'argmax agreement 100.000%' in out
    assert osp.isfile(project / 'model.onnx.json')

    out = _run([segplug, 'publish-model', checkpoint, 'model.pth'], project)
    published = re.search(r'(model-[0-9a-f]{8}\.pth)', out).group(1)
    out = _run([
        segplug, 'test', 'my_config.py', published, '--work-dir',
        'work/test-published'
    ], project)
    assert 'mIoU' in out

    # mim finds segplug's packaged tools and runs them on the user's config
    out = _run([
        python, '-m', 'mim', 'train', 'segplug', 'my_config.py', '--work-dir',
        'work_mim'
    ], project)
    assert 'Training finished successfully' in out
    assert osp.isfile(project / 'work_mim' / 'iter_2.pth')
    out = _run([
        python, '-m', 'mim', 'test', 'segplug', 'my_config.py', '--checkpoint',
        checkpoint, '--work-dir', 'work_mim/test'
    ], project)
    assert 'mIoU' in out
