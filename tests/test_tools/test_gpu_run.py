"""tools/gpu/: the preparation here (requirements resolved against the GPU
image's packages, the manifest and its checks, all offline on fabricated
wheels) and the device run's dry run on the CPU, every step at tiny sizes,
so that the first call on a lent GPU fails on nothing but CUDA."""
import importlib.util
import json
import os
import os.path as osp
import zipfile

import pytest
from packaging.requirements import Requirement


def _load(repo_root, name):
    path = osp.join(repo_root, 'tools', 'gpu', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'gpu_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def prepare(repo_root):
    return _load(repo_root, 'prepare')


def make_wheel(folder, name, version, requires=()):
    """A minimal pure-Python wheel pip installs: one module, its
    metadata."""
    stem = f'{name.replace("-", "_")}-{version}'
    path = osp.join(folder, f'{stem}-py3-none-any.whl')
    info = f'{stem}.dist-info'
    metadata = f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n'
    metadata += ''.join(f'Requires-Dist: {r}\n' for r in requires)
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr(f'{name.replace("-", "_")}.py', 'VALUE = 1\n')
        zf.writestr(f'{info}/METADATA', metadata)
        zf.writestr(
            f'{info}/WHEEL', 'Wheel-Version: 1.0\nGenerator: test\n'
            'Root-Is-Purelib: true\nTag: py3-none-any\n')
        zf.writestr(f'{info}/RECORD', '')
    return path


def carried(prepare, root):
    """A prepared folder of one small wheel, as prepare.py leaves it."""
    for kind in ('wheels', 'sdist', 'build'):
        os.makedirs(osp.join(root, kind))
    make_wheel(osp.join(root, 'wheels'), 'tiny-pkg', '1.0')
    prepare.write_manifest(str(root))
    return root


def test_requirements_are_read_for_the_images_python(prepare, tmp_path):
    wheel = make_wheel(
        str(tmp_path), 'demo', '1.0', [
            'yapf', 'tomli; python_version < "3.11"', 'pytest; extra == "dev"',
            'termcolor>=2; sys_platform == "linux"',
            'pywin32; sys_platform == "win32"'
        ])
    assert [str(r) for r in prepare.wheel_requirements(wheel)
            ] == ['yapf', 'termcolor>=2; sys_platform == "linux"']


def test_resolve_skips_the_image_and_the_sources_and_pins(prepare):
    needs = {
        'mmengine==0.10.7': ['addict', 'numpy', 'yapf'],
        'addict==2.4.0': [],
        'yapf': ['platformdirs>=3'],
        'platformdirs>=3': [],
        'mmsegmentation==1.2.2': ['mmcv', 'numpy', 'addict'],
    }
    fetched = []

    def fetch(spec):
        fetched.append(spec)
        return spec

    found = prepare.resolve(
        [
            Requirement('mmengine>=0.10,<0.11'),
            Requirement('mmsegmentation'),
            Requirement('torch>=2.5')
        ], {'numpy', 'torch'},
        dict(mmengine='0.10.7', addict='2.4.0', mmsegmentation='1.2.2'),
        fetch,
        requirements=lambda spec: [Requirement(r) for r in needs[spec]])
    assert fetched == [
        'mmengine==0.10.7', 'mmsegmentation==1.2.2', 'addict==2.4.0', 'yapf',
        'platformdirs>=3'
    ]
    assert set(found) == {
        'mmengine', 'mmsegmentation', 'addict', 'yapf', 'platformdirs'
    }


def test_a_pin_outside_the_asked_range_is_one_line(prepare):
    with pytest.raises(
            prepare.PrepareError,
            match=r'mmcv: requirements/constraints.txt pins '
            r'2.2.0, outside the <2.2.0,>=2.0.0'):
        prepare.pinned(Requirement('mmcv>=2.0.0,<2.2.0'), dict(mmcv='2.2.0'))


def test_the_lists_it_reads(prepare, repo_root):
    image = prepare.read_image_packages(
        osp.join(repo_root, 'tools', 'gpu', 'image_packages.txt'))
    assert {'torch', 'numpy', 'opencv-python', 'pytest-xdist'} <= image
    assert not {'mmengine', 'mmcv', 'yapf', 'addict'} & image
    pins = prepare.read_pins(
        osp.join(repo_root, 'requirements', 'constraints.txt'))
    assert pins['mmcv'] == '2.1.0' and pins['mmsegmentation'] == '1.2.2'
    names = [
        r.name
        for r in prepare.install_requires(osp.join(repo_root, 'setup.cfg'))
    ]
    assert names[:3] == ['torch', 'numpy', 'mmengine']


def test_the_manifest_names_every_fault_in_one_line(prepare, tmp_path):
    root = carried(prepare, tmp_path / 'c')
    manifest = prepare.check(str(root))
    assert list(manifest['files']) == ['wheels/tiny_pkg-1.0-py3-none-any.whl']
    wheel = root / 'wheels' / 'tiny_pkg-1.0-py3-none-any.whl'
    data = wheel.read_bytes()
    wheel.write_bytes(data[:-10])
    with pytest.raises(prepare.PrepareError, match='size or sha256 differs'):
        prepare.check(str(root))
    wheel.write_bytes(data)
    (root / 'wheels' / 'stray-2.0-py3-none-any.whl').write_bytes(b'x')
    with pytest.raises(prepare.PrepareError, match='stray-2.0.*not in'):
        prepare.check(str(root))
    make_wheel(str(root / 'wheels'), 'tiny-pkg', '2.0')
    with pytest.raises(prepare.PrepareError, match='two versions of tiny-pkg'):
        prepare.write_manifest(str(root))
    with pytest.raises(
            prepare.PrepareError,
            match='manifest.json: missing; run python '
            'tools/gpu/prepare.py'):
        prepare.check(str(tmp_path))


def test_the_import_audit_names_what_the_device_would_lack(
        repo_root, tmp_path):
    run = _load(repo_root, 'run')
    audit = tmp_path / 'imports'
    audit.mkdir()
    # gradio is installed here (the app's extra), not in the image and not
    # among the wheels the device is sent; mmengine and torch are.
    (audit / '1.txt').write_text('mmengine\ntorch\nos\ngradio\n')

    class Stub:
        pass

    stub = Stub()
    stub.audit = str(audit)
    with pytest.raises(run.StepError, match=r'gradio \(gradio\)'):
        run.audit_imports(stub)
    (audit / '1.txt').write_text('mmengine\ntorch\nos\nyapf\n')
    figures = run.audit_imports(stub)
    assert {'mmengine', 'mmcv', 'yapf',
            'pydensecrf2'} <= set(figures['wheels'])


def test_on_a_cpu_without_dry_run_it_stops_at_the_environment(
        run_tool, tmp_path):
    proc = run_tool([
        'tools/gpu/run.py', '--out',
        str(tmp_path / 'out'), '--work',
        str(tmp_path / 'work')
    ],
                    check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(
        'error: failed: environment')
    steps = json.loads((tmp_path / 'out' / 'results.json').read_text())
    steps = {s['name']: s for s in steps['steps']}
    assert steps['environment']['why'] == (
        'torch sees no CUDA device; use --dry-run on a CPU')
    assert {s['why']
            for n, s in steps.items()
            if n != 'environment'} == {'environment failed'}


def test_build_without_dry_run_is_refused(run_tool):
    proc = run_tool(['tools/gpu/run.py', '--build'], check=False)
    assert proc.returncode == 2
    assert '--build: only with --dry-run' in proc.stderr


@pytest.mark.slow
def test_dry_run_runs_every_step_on_the_cpu(prepare, run_tool, tmp_path):
    root = carried(prepare, tmp_path / 'carried')
    out = tmp_path / 'out'
    proc = run_tool([
        'tools/gpu/run.py', '--dry-run', '--out',
        str(out), '--work',
        str(tmp_path / 'work'), '--carried',
        str(root)
    ],
                    timeout=900,
                    check=False)
    results = json.loads((out / 'results.json').read_text())
    steps = {s['name']: s for s in results['steps']}
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert list(steps) == [
        'environment', 'wheels', 'mmcv', 'pydensecrf2', 'segplug',
        'cuda_checks', 'crf_benchmark', 'speed', 'voc_training',
        'crfasrnn_step', 'onnxruntime', 'mask_rcnn', 'import_audit'
    ]
    assert {s['status'] for s in steps.values()} == {'ok'}, steps
    figures = {n: s.get('figures') for n, s in steps.items()}
    assert figures['wheels'] == dict(wheels=1)
    # the suite's CUDA tests are found, and skip here
    assert figures['cuda_checks']['counts']['skipped'] == 3
    assert 'segplug/pydensecrf' in figures['crf_benchmark']['output']
    log = (out / 'log.txt').read_text()
    assert 'deeplabv3plus, training step at batch 2' in log
    assert 'segplug bf16 (--amp)' in figures['speed']['output']
    voc = figures['voc_training']
    assert voc['iterations'] == 3 and voc['size'] == 64
    assert 0 <= voc['test_miou'] <= 100 and voc['iterations_per_second'] > 0
    assert 'CPUExecutionProvider' in figures['onnxruntime']['output']
    assert figures['mask_rcnn']['mmcv'] == 'mmcv-cpu'
