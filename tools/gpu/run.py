"""segplug on a lent GPU machine: install the stack from the folder
tools/gpu/prepare.py filled, build mmcv and pydensecrf2 against the
machine's torch, install segplug from this working tree, then measure,
most valuable first. After every step ``results.json`` and ``log.txt`` in
``--out`` ($OUT on the device) hold all done so far, so a lease that ends
early still brings the first figures back.

On the device (docs/gpu.md), as one call:

    python3 tools/gpu/run.py            # carry ['.gpu'], timeout_s 590

Here, the same steps on the CPU at tiny sizes, which the suite runs:

    python tools/gpu/run.py --dry-run [--out DIR] [--build]

The dry run installs the carried wheels for Python 3.12 into a scratch
folder (pip's --python-version), uses this environment's mmcv and
pydensecrf2 unless --build (mmcv's CPU ops take ~15 minutes on 2 cores),
installs segplug from the tree as on the device and runs every
measurement with it. It also records which distributions the measurements
import and fails if one is neither in the GPU image
(tools/gpu/image_packages.txt) nor among the wheels prepare.py fetches:
the error the device would otherwise give first.

Steps, in this order: environment, wheels, mmcv (CPU ops, then its CUDA
ops in the background), pydensecrf2, segplug; then the measurements
cuda_checks, crf_benchmark, speed, voc_training, crfasrnn_step,
onnxruntime, mask_rcnn. docs/gpu.md says what each does; EXPECTED below
holds the device seconds each is expected to take.
A step starts only if its expected time fits before --deadline; the
others are recorded as skipped. A second call on the still-warm machine
(--skip the steps done) reuses the installs in --work.
"""
import argparse
import datetime
import glob
import importlib.metadata
import json
import math
import os
import os.path as osp
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, HERE)
import prepare  # noqa: E402 (beside this file, not in a package)

SETUP = ('environment', 'wheels', 'mmcv', 'pydensecrf2', 'segplug')
MEASURE = ('cuda_checks', 'crf_benchmark', 'speed', 'voc_training',
           'crfasrnn_step', 'onnxruntime', 'mask_rcnn')
# Expected device seconds: a step starts only if this much is left.
EXPECTED = dict(
    environment=5,
    wheels=15,
    mmcv=120,
    pydensecrf2=45,
    segplug=20,
    cuda_checks=60,
    crf_benchmark=150,
    speed=180,
    voc_training=200,
    crfasrnn_step=60,
    onnxruntime=60,
    mask_rcnn=120)
CUDA_TESTS = ('tests/test_models/test_postprocessors/test_dense_crf.py',
              'tests/test_models/test_postprocessors/test_crf_as_rnn.py',
              'tests/test_models/test_postprocessors/test_permutohedral.py')
TAIL = 4000  # characters of each command's output kept in results.json


class StepError(RuntimeError):
    """A step that failed, in one line."""


class Run:
    """The state of one run: where things go, the deadline, the results."""

    def __init__(self, args):
        self.args = args
        self.dry = args.dry_run
        self.device = 'cpu' if self.dry else 'cuda'
        self.out = osp.abspath(args.out)
        self.work = osp.abspath(args.work)
        self.carried = osp.abspath(args.carried)
        self.start = time.monotonic()
        # The dry run has no lease to fit.
        self.deadline = self.start + (math.inf if self.dry else args.deadline)
        os.makedirs(self.out, exist_ok=True)
        os.makedirs(self.work, exist_ok=True)
        self.log_path = osp.join(self.out, 'log.txt')
        self.results = dict(
            date=datetime.datetime.now().isoformat(timespec='seconds'),
            dry_run=self.dry,
            host=platform.node(),
            steps=[])
        self.state_path = osp.join(self.work, 'state.json')
        self.state = {}
        if osp.isfile(self.state_path):
            with open(self.state_path, encoding='utf-8') as f:
                self.state = json.load(f)
        self.audit = osp.join(self.work, 'imports') if self.dry else None

    # --- paths and environment of the children --------------------------
    def site(self, name):
        return osp.join(self.work, 'site', name)

    def pythonpath(self, mmcv='mmcv-cpu'):
        if self.dry:
            # The wheels are cp312: this interpreter keeps its own stack,
            # less what --build built.
            paths = [
                p for p in (self.site('segplug'), self.site('mmcv-cpu'),
                            self.site('pydensecrf2')) if osp.isdir(p)
            ]
        else:
            paths = [
                self.site('segplug'),
                self.site(mmcv),
                self.site('pydensecrf2'),
                self.site('wheels')
            ]
        if self.audit:
            paths.insert(0, osp.join(self.work, 'audit'))
        old = os.environ.get('PYTHONPATH')
        return os.pathsep.join(paths + ([old] if old else []))

    def env(self, **extra):
        env = dict(os.environ)
        env['PYTHONPATH'] = self.pythonpath(extra.pop('mmcv', 'mmcv-cpu'))
        env['PYTHONUNBUFFERED'] = '1'
        env['MPLBACKEND'] = 'Agg'
        if self.audit:
            env['SEGPLUG_IMPORT_AUDIT'] = self.audit
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def left(self):
        return self.deadline - time.monotonic()

    # --- output ---------------------------------------------------------
    def log(self, text):
        with open(self.log_path, 'a', encoding='utf-8') as f:
            f.write(text if text.endswith('\n') else text + '\n')

    def save(self):
        self.results['seconds'] = round(time.monotonic() - self.start, 1)
        tmp = osp.join(self.out, '.results.json.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(self.results, f, indent=1)
        os.replace(tmp, osp.join(self.out, 'results.json'))
        with open(self.state_path, 'w', encoding='utf-8') as f:
            json.dump(self.state, f)

    def sh(self, cmd, env=None, cwd=REPO, timeout=None):
        """Run ``cmd`` (a list) with its output going straight into the
        log (a run stopped from outside keeps what it printed); its
        output, or StepError with its last line."""
        timeout = max(1, min(timeout or math.inf, self.left()))
        if timeout == math.inf:
            timeout = None
        self.log(f'$ {shlex.join(cmd)}')
        with open(self.log_path, 'a', encoding='utf-8') as log:
            start = log.tell()
            try:
                proc = subprocess.run(
                    cmd,
                    cwd=cwd,
                    env=env or self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout)
                error = None
            except subprocess.TimeoutExpired:
                error = (f'{shlex.join(cmd)[:120]} ran out of time '
                         f'({timeout:.0f} s)')
        with open(self.log_path, encoding='utf-8', errors='replace') as log:
            log.seek(start)
            out = log.read()
        if error:
            raise StepError(error)
        if proc.returncode != 0:
            last = [line for line in out.splitlines() if line.strip()
                    ] or ['no output']
            raise StepError(f'exit {proc.returncode}: {last[-1][:300]}')
        return out

    def py(self, args, **kwargs):
        return self.sh([sys.executable] + args, **kwargs)


# --- set-up steps ---------------------------------------------------------
def step_environment(run):
    import torch
    facts = dict(
        python=platform.python_version(),
        torch=torch.__version__,
        torch_cuda=torch.version.cuda,
        cuda_available=torch.cuda.is_available(),
        cpus=os.cpu_count())
    if torch.cuda.is_available():
        facts['gpu'] = torch.cuda.get_device_name(0)
        props = torch.cuda.get_device_properties(0)
        facts['gpu_memory_gib'] = round(props.total_memory / 2**30, 1)
        facts['capability'] = '.'.join(map(str, (props.major, props.minor)))
    if shutil.which('nvidia-smi'):
        facts['nvidia_smi'] = run.sh([
            'nvidia-smi', '--query-gpu=name,driver_version,memory.total',
            '--format=csv,noheader'
        ]).strip()
    facts['nvcc'] = bool(shutil.which('nvcc'))
    if not run.dry and not torch.cuda.is_available():
        raise StepError('torch sees no CUDA device; use --dry-run on a CPU')
    run.results['environment'] = facts
    return facts


def step_wheels(run):
    manifest = prepare.check(run.carried)
    if manifest['python'] != prepare.PYTHON:
        raise StepError(f'{run.carried} holds wheels for Python '
                        f'{manifest["python"]}, expected {prepare.PYTHON}')
    wheels = sorted(glob.glob(osp.join(run.carried, 'wheels', '*.whl')))
    target = run.site('wheels')
    shutil.rmtree(target, ignore_errors=True)
    cmd = [
        sys.executable, '-m', 'pip', 'install', '-q', '--no-index',
        '--no-deps', '--no-compile', '--no-cache-dir', '--target', target
    ]
    if run.dry:
        # The same files, installed for the image's Python.
        cmd += [f'--python-version={prepare.PYTHON}', '--only-binary=:all:'
                ] + [f'--platform={p}' for p in prepare.PLATFORMS]
    run.sh(cmd + wheels)
    return dict(wheels=len(wheels))


def sdist(run, name):
    found = glob.glob(osp.join(run.carried, 'sdist', f'{name}-*.tar.gz'))
    if len(found) != 1:
        raise StepError(f'{run.carried}/sdist: expected one {name} source, '
                        f'got {len(found)}; run tools/gpu/prepare.py')
    return found[0]


def pip_build(run, name, target, **env):
    """pip install ``name``'s sdist into ``target``, built against this
    interpreter's torch (no build isolation: the registry is out of
    reach)."""
    shutil.rmtree(target, ignore_errors=True)
    build_tools = run.site('build')
    if not osp.isdir(build_tools):
        run.sh([
            sys.executable, '-m', 'pip', 'install', '-q', '--no-index',
            '--no-deps', '--target', build_tools
        ] + glob.glob(osp.join(run.carried, 'build', '*.whl')))
    env = run.env(
        PYTHONPATH=os.pathsep.join([build_tools,
                                    run.site('wheels')]), **env)
    return [
        sys.executable, '-m', 'pip', 'install', '--no-index', '--no-deps',
        '--no-build-isolation', '--no-compile', '--no-cache-dir', '--target',
        target,
        sdist(run, name)
    ], env


def built_here(run, module, dist):
    """The dry run's stand-in for a build: this environment's own."""
    out = run.py([
        '-c', f'import {module}, importlib.metadata as m; '
        f'print(m.version({dist!r}))'
    ])
    return dict(used='this environment', version=out.strip())


def step_mmcv(run):
    jobs = os.cpu_count()
    if run.dry and not run.args.build:
        return built_here(run, 'mmcv.ops', 'mmcv')
    # CPU ops only: mmcv compiles its CUDA kernels whenever torch sees a
    # GPU, so the GPU is hidden from this build.
    cmd, env = pip_build(
        run,
        'mmcv',
        run.site('mmcv-cpu'),
        MMCV_WITH_OPS=1,
        MAX_JOBS=jobs,
        CUDA_VISIBLE_DEVICES='')
    t0 = time.monotonic()
    run.sh(cmd, env=env)
    facts = dict(cpu_ops_seconds=round(time.monotonic() - t0, 1), jobs=jobs)
    if not run.dry:
        facts['cuda_build'] = start_cuda_build(run)
    return facts


def start_cuda_build(run):
    """mmcv with its CUDA ops for this card, in the background (its own
    process session, so it outlives this command while the machine is
    held); ``mask_rcnn`` uses it if it has finished."""
    import torch
    major, minor = torch.cuda.get_device_capability(0)
    target = run.site('mmcv-cuda')
    cmd, env = pip_build(
        run,
        'mmcv',
        target,
        MMCV_WITH_OPS=1,
        FORCE_CUDA=1,
        TORCH_CUDA_ARCH_LIST=f'{major}.{minor}',
        MAX_JOBS=max(os.cpu_count() - 2, 1))
    log = osp.join(run.work, 'mmcv-cuda.log')
    done = osp.join(run.work, 'mmcv-cuda.rc')
    for path in (log, done):
        if osp.exists(path):
            os.remove(path)
    script = f'nice -n 5 {shlex.join(cmd)} >{log} 2>&1; echo $? >{done}'
    subprocess.Popen(['sh', '-c', script], env=env, start_new_session=True)
    run.state['cuda_build_started'] = time.time()
    return f'started for sm_{major}{minor}, log {log}'


def step_pydensecrf2(run):
    if run.dry and not run.args.build:
        return built_here(run, 'pydensecrf.densecrf', 'pydensecrf2')
    cmd, env = pip_build(run, 'pydensecrf2', run.site('pydensecrf2'))
    run.sh(cmd, env=env)
    run.py(['-c', 'import pydensecrf.densecrf'])
    return dict(built=True)


def source_copy(run):
    """The tree as a build needs it, copied (a build in place would leave
    its build folder and egg-info in the checkout)."""
    top = {'.git', '.venv', '.gpu', 'work_dirs', 'data', 'build', 'dist'}
    anywhere = shutil.ignore_patterns('*.egg-info', '__pycache__',
                                      '.pytest_cache')

    def ignore(folder, names):
        skipped = set(anywhere(folder, names))
        if osp.samefile(folder, REPO):
            skipped |= top & set(names)
        return skipped

    source = osp.join(run.work, 'src', 'segplug')
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(REPO, source, symlinks=True, ignore=ignore)
    return source


def step_segplug(run):
    target = run.site('segplug')
    shutil.rmtree(target, ignore_errors=True)
    run.sh([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-index',
        '--no-deps', '--no-build-isolation', '--no-compile', '--target',
        target,
        source_copy(run)
    ])
    # From outside the tree, so the installed copy is the one imported.
    out = run.py([
        '-c', 'import segplug, mmcv, mmcv.ops, mmseg, mmdet, torch; '
        'print(segplug.__file__); print("mmcv", mmcv.__version__, "mmseg", '
        'mmseg.__version__, "mmdet", mmdet.__version__, "torch", '
        'torch.__version__)'
    ],
                 cwd=run.work)
    where, versions = out.strip().splitlines()[-2:]
    if not where.startswith(target):
        raise StepError(f'segplug imported from {where}, not {target}')
    return dict(versions=versions)


# --- measurements ---------------------------------------------------------
def step_cuda_checks(run):
    out = run.py(
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-k', 'cuda'] +
        list(CUDA_TESTS))
    counts = dict((k, int(v)) for v, k in re.findall(
        r'(\d+) (passed|failed|skipped|deselected)', out))
    if not run.dry and counts.get('skipped'):
        raise StepError(f'{counts["skipped"]} CUDA tests skipped on the GPU '
                        'machine')
    return dict(counts=counts, output=out[-TAIL:])


def step_crf_benchmark(run):
    if run.dry:
        sizes = [('64x48', ['--iters', '1', '--repeats', '1', '--warmup',
                            '0'])]
    else:
        sizes = [('500x375', ['--iters', '5', '10', '--repeats', '5']),
                 ('2048x1024', ['--iters', '5', '10', '--repeats', '3'])]
    output = ''
    for size, extra in sizes:
        output += run.py([
            'tools/benchmark_crf.py', '--device', run.device, '--size', size,
            '--labels', '21'
        ] + extra)
    return dict(output=output[-TAIL:])


def step_speed(run):
    if run.dry:
        # one model: the tool's own test runs PSPNet, the converter's tests
        # all three pairs
        extra = [
            '--models', 'deeplabv3plus', '--tiny', '--size', '64', '--batch',
            '2', '--repeats', '1', '--warmup', '0', '--no-onnx'
        ]
    else:
        extra = [
            '--models', 'deeplabv3', 'deeplabv3plus', 'pspnet', '--size',
            '512', '--batch', '8', '--repeats', '10', '--warmup', '2'
        ]
    out = run.py(['tools/benchmark_speed.py', '--device', run.device] + extra)
    return dict(output=out[-TAIL:])


def voc_layout(run, root, size, num_train, num_val):
    """Synthetic data in PASCAL VOC 2012 + SBD's layout (the shapes
    generator's images, its labels as both SegmentationClass and
    SegmentationClassAug), under ``root``/data/VOCdevkit/VOC2012, where
    the VOC recipe's relative data_root finds it."""
    voc = osp.join(root, 'data', 'VOCdevkit', 'VOC2012')
    shutil.rmtree(osp.join(root, 'data'), ignore_errors=True)
    run.py([
        'tools/make_shapes.py', '--out', voc, '--size',
        str(size), '--num-train',
        str(num_train), '--num-val',
        str(num_val)
    ])
    shutil.copytree(
        osp.join(voc, 'SegmentationClass'),
        osp.join(voc, 'SegmentationClassAug'))
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    shutil.copyfile(osp.join(sets, 'train.txt'), osp.join(sets, 'aug.txt'))
    return voc


def scalars(work_dir):
    """mmengine's logged scalars of the latest run in ``work_dir``."""
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise StepError(f'{work_dir}: no scalars.json')
    with open(files[-1], encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def in_process(*loaders):
    """--cfg-options loading ``loaders``' data in the process: the dry
    run's tiny data is not worth a worker's start."""
    return [
        f'{name}_dataloader.{key}' for name in loaders
        for key in ('num_workers=0', 'persistent_workers=False')
    ]


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def step_voc_training(run):
    import torch
    root = osp.join(run.work, 'voc')
    if run.dry:
        size, n_train, n_val, iters, extra_iters, batch = 64, 4, 2, 2, 1, 2
    else:
        size, n_train, n_val, iters, extra_iters, batch = 512, 96, 24, 200, \
            100, 4
    voc_layout(run, root, size, n_train, n_val)
    config = osp.join(REPO, 'configs', 'deeplabv3plus_voc.py')
    work_dir = osp.join(root, 'work_dir')
    shutil.rmtree(work_dir, ignore_errors=True)
    crop = f'({size},{size})'
    scale = f'({4 * size},{size})'  # the recipe's (2048, 512)
    options = [
        'model.pretrained=None', f'train_dataloader.batch_size={batch}',
        f'train_cfg.val_interval={iters + extra_iters}',
        f'default_hooks.checkpoint.interval={iters // 2 or 1}',
        'default_hooks.logger.interval=10'
    ]
    if run.dry:
        options += [
            f'model.data_preprocessor.size={crop}',
            'default_hooks.logger.interval=1'
        ] + in_process('train', 'val', 'test') + [
            f'train_dataloader.dataset.datasets.{i}.pipeline.{k}={v}'
            for i in (0, 1)
            for k, v in (('2.scale', scale), ('3.crop_size', crop))
        ] + [
            f'{s}_dataloader.dataset.pipeline.1.scale={scale}'
            for s in ('val', 'test')
        ]
    from segplug.engine.inference.fast_path import native_bf16
    amp = ['--amp'] if (torch.cuda.is_available()
                        or native_bf16(torch.device('cpu'))) else []
    train = [
        osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', work_dir
    ] + amp
    t0 = time.monotonic()
    run.py(
        train + ['--cfg-options', f'train_cfg.max_iters={iters}'] + options,
        cwd=root)
    first = time.monotonic() - t0
    logged = scalars(work_dir)
    times = [s['time'] for s in logged if 'time' in s]
    memory = [s['memory'] for s in logged if 'memory' in s]
    t0 = time.monotonic()
    run.py(
        train + [
            '--resume', '--cfg-options',
            f'train_cfg.max_iters={iters + extra_iters}'
        ] + options,
        cwd=root)
    resumed = scalars(work_dir)
    steps = [s['step'] for s in resumed if 'loss' in s]
    if not steps or min(steps) <= iters // 2 or max(
            steps) < iters + extra_iters - 1:
        raise StepError(f'--resume logged iterations {steps[:3]}..'
                        f'{steps[-1:]}, expected {iters + 1}..'
                        f'{iters + extra_iters}')
    ckpt = osp.join(work_dir, f'iter_{iters + extra_iters}.pth')
    test_out = run.py(
        [
            osp.join(REPO, 'tools', 'test.py'), config, ckpt, '--work-dir',
            osp.join(root, 'test_dir')
        ] + (['--cfg-options'] + in_process('test') if run.dry else []),
        cwd=root)
    miou = re.findall(r'mIoU: ([0-9.]+)', test_out)
    run.state['voc_checkpoint'] = ckpt
    return dict(
        size=size,
        batch=batch,
        amp=bool(amp),
        iterations=iters + extra_iters,
        first_run_seconds=round(first, 1),
        resume_seconds=round(time.monotonic() - t0, 1),
        seconds_per_iteration=median(times),
        iterations_per_second=round(1 / median(times), 2) if times else None,
        peak_memory_mb=max(memory) if memory else None,
        test_miou=float(miou[-1]) if miou else None)


def step_crfasrnn_step(run):
    extra = (['--size', '64', '--repeats', '1', '--warmup', '0']
             if run.dry else ['--size', '512', '--repeats', '5'])
    out = run.py(['tools/benchmark_crf_training.py', '--device', run.device] +
                 extra)
    return dict(output=out[-TAIL:])


ORT_CHECK = r'''
import sys, time
import numpy as np
import onnxruntime as ort
path, size = sys.argv[1], int(sys.argv[2])
x = np.random.default_rng(0).standard_normal((1, 3, size, size), np.float32)
available = ort.get_available_providers()
print('onnxruntime', ort.__version__, 'providers', available)
labels = {}
for provider in ('CUDAExecutionProvider', 'CPUExecutionProvider'):
    if provider not in available:
        continue
    s = ort.InferenceSession(path, providers=[provider])
    name = s.get_inputs()[0].name
    s.run(None, {name: x})
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        out = s.run(None, {name: x})[0]
        times.append(time.perf_counter() - t0)
    labels[provider] = out.argmax(1)
    print(f'{provider}: {sorted(times)[2] * 1e3:.1f} ms median of 5')
if len(labels) == 2:
    same = (labels['CUDAExecutionProvider'] ==
            labels['CPUExecutionProvider']).mean()
    print(f'labels alike CUDA vs CPU: {100 * same:.3f}%')
'''


def step_onnxruntime(run):
    ckpt = run.state.get('voc_checkpoint')
    if not ckpt or not osp.isfile(ckpt):
        raise StepError('needs voc_training\'s checkpoint')
    size = 64 if run.dry else 512
    onnx = osp.join(run.work, 'voc.onnx')
    run.py([
        'tools/export.py',
        osp.join(REPO, 'configs', 'deeplabv3plus_voc.py'), ckpt, '--shape',
        str(size),
        str(size), '--out', onnx, '--cfg-options', 'model.pretrained=None'
    ])
    out = run.py(['-c', ORT_CHECK, onnx, str(size)])
    return dict(output=out[-TAIL:])


def step_mask_rcnn(run):
    config = osp.join(REPO, 'configs', 'mask_rcnn',
                      'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')
    mmcv = 'mmcv-cpu'
    if not run.dry:
        done = osp.join(run.work, 'mmcv-cuda.rc')
        while not osp.exists(done) and run.left() > EXPECTED['mask_rcnn']:
            time.sleep(5)
        if not osp.exists(done):
            raise StepError("mmcv's CUDA build has not finished "
                            f'(log {run.work}/mmcv-cuda.log)')
        with open(done) as f:
            if f.read().strip() != '0':
                raise StepError("mmcv's CUDA build failed; see "
                                f'{run.work}/mmcv-cuda.log')
        mmcv = 'mmcv-cuda'
    root = osp.join(run.work, 'instances')
    shutil.rmtree(root, ignore_errors=True)
    data = osp.join(root, 'data', 'shapes')
    run.py([
        'tools/make_shapes.py', '--out', data, '--num-train',
        '8' if run.dry else '64', '--num-val', '4' if run.dry else '16'
    ],
           env=run.env(mmcv=mmcv))
    iters = 2 if run.dry else 300
    out = run.py(
        [
            osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
            osp.join(root, 'work_dir'), '--cfg-options',
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}'
        ] + (in_process('train', 'val') if run.dry else []),
        cwd=root,
        env=run.env(mmcv=mmcv))
    times = [
        s['time'] for s in scalars(osp.join(root, 'work_dir')) if 'time' in s
    ]
    aps = re.findall(r'segm_mAP: ([0-9.-]+)', out)
    return dict(
        mmcv=mmcv,
        iterations=iters,
        seconds_per_iteration=median(times),
        segm_map=float(aps[-1]) if aps else None)


# --- the import audit (dry run) -------------------------------------------
AUDIT_HOOK = '''\
import atexit, os, sys


def _record():
    names = sorted({m.split('.')[0] for m in list(sys.modules)})
    path = os.path.join(os.environ['SEGPLUG_IMPORT_AUDIT'],
                        f'{os.getpid()}.txt')
    with open(path, 'w') as f:
        f.write('\\n'.join(names))


if os.environ.get('SEGPLUG_IMPORT_AUDIT'):
    atexit.register(_record)
'''


def installed_requirements(spec):
    """The dry run's stand-in for reading a downloaded wheel: what the
    installed distribution of ``spec`` (the same version, by the
    constraints) needs on the image's Python."""
    from packaging.requirements import Requirement
    dist = importlib.metadata.distribution(re.split(r'[=<>!~ ]', spec, 1)[0])
    reqs = (Requirement(line) for line in dist.requires or [])
    return [req for req in reqs if prepare.applies(req)]


def expected_wheels():
    """The projects prepare.py fetches, resolved offline from this
    environment's installed metadata; and the image's."""
    from packaging.utils import canonicalize_name
    image = prepare.read_image_packages(osp.join(HERE, 'image_packages.txt'))
    pins = prepare.read_pins(osp.join(REPO, 'requirements', 'constraints.txt'))
    found = prepare.resolve(
        prepare.install_requires(osp.join(REPO, 'setup.cfg')),
        image,
        pins,
        fetch=lambda spec: spec,
        requirements=installed_requirements)
    return set(found) | {canonicalize_name(s) for s in prepare.SDISTS}, image


def audit_imports(run):
    """Every distribution the measurements imported is in the image or
    among the wheels and sources prepare.py fetches."""
    from packaging.utils import canonicalize_name
    modules = set()
    for path in glob.glob(osp.join(run.audit, '*.txt')):
        with open(path, encoding='utf-8') as f:
            modules.update(f.read().split())
    wheels, image = expected_wheels()
    allowed = wheels | image | {'segplug'}
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(modules - set(sys.stdlib_module_names)):
        dists = {canonicalize_name(d) for d in owners.get(module, [])}
        if dists and not dists & allowed:
            missing[module] = sorted(dists)
    if missing:
        raise StepError(
            'imported on the device but neither in the GPU image nor '
            'fetched by tools/gpu/prepare.py: ' +
            ', '.join(f'{m} ({"/".join(d)})' for m, d in missing.items()) +
            '; add them to tools/gpu/prepare.py\'s roots')
    return dict(modules=len(modules), wheels=sorted(wheels - image))


# --- the run ----------------------------------------------------------------
STEPS = dict(
    environment=step_environment,
    wheels=step_wheels,
    mmcv=step_mmcv,
    pydensecrf2=step_pydensecrf2,
    segplug=step_segplug,
    cuda_checks=step_cuda_checks,
    crf_benchmark=step_crf_benchmark,
    speed=step_speed,
    voc_training=step_voc_training,
    crfasrnn_step=step_crfasrnn_step,
    onnxruntime=step_onnxruntime,
    mask_rcnn=step_mask_rcnn)


def run_steps(run):
    failed_setup = None
    for name in SETUP + MEASURE:
        entry = dict(name=name)
        if name in run.args.skip:
            entry.update(status='skipped', why='--skip')
        elif name in SETUP and name in run.state.get('setup_done', []) \
                and name != 'environment':
            entry.update(status='ok', why='done by an earlier call')
        elif failed_setup:
            entry.update(status='skipped', why=f'{failed_setup} failed')
        elif not run.dry and run.left() < EXPECTED[name]:
            entry.update(
                status='skipped',
                why=f'{run.left():.0f} s left, expects {EXPECTED[name]} s')
        else:
            t0 = time.monotonic()
            run.log(f'\n=== {name} ===')
            try:
                entry['figures'] = STEPS[name](run)
                entry['status'] = 'ok'
                if name in SETUP:
                    run.state.setdefault('setup_done', []).append(name)
            except (StepError, prepare.PrepareError) as e:
                entry.update(status='failed', why=str(e))
                if name in SETUP:
                    failed_setup = name
            except Exception as e:  # noqa: BLE001 (recorded, the run goes on)
                entry.update(
                    status='failed', why=f'{type(e).__name__}: {e}'[:300])
                if name in SETUP:
                    failed_setup = name
            entry['seconds'] = round(time.monotonic() - t0, 1)
        run.results['steps'].append(entry)
        run.save()
        print(
            f'{name:14s} {entry["status"]:8s} '
            f'{entry.get("seconds", 0):6.1f} s  {entry.get("why", "")}',
            flush=True)
    if run.audit:
        entry = dict(name='import_audit')
        try:
            entry['figures'] = audit_imports(run)
            entry['status'] = 'ok'
        except StepError as e:
            entry.update(status='failed', why=str(e))
        run.results['steps'].append(entry)
        run.save()
        print(f'{"import_audit":14s} {entry["status"]:8s} '
              f'{entry.get("why", "")}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='the same steps on the CPU at tiny sizes')
    parser.add_argument(
        '--build',
        action='store_true',
        help='with --dry-run: build mmcv and pydensecrf2 from the carried '
        "sources too (~15 min on 2 cores), not this environment's")
    parser.add_argument(
        '--out',
        default=os.environ.get('OUT') or osp.join(REPO, 'work_dirs', 'gpu'),
        help="results.json and log.txt ($OUT, else work_dirs/gpu)")
    parser.add_argument(
        '--work',
        default=None,
        help='installs, data and runs (default /tmp/segplug-gpu; dry run: '
        'a fresh temporary folder)')
    parser.add_argument(
        '--carried',
        default=osp.join(REPO, '.gpu'),
        help="tools/gpu/prepare.py's folder (default .gpu)")
    parser.add_argument(
        '--deadline',
        type=float,
        default=570,
        help='seconds from the start after which no step starts and a '
        'running one is stopped (default 570, under a 590 s call; not in '
        'the dry run)')
    parser.add_argument(
        '--skip',
        nargs='+',
        default=[],
        choices=SETUP[1:] + MEASURE,
        help='steps to leave out')
    args = parser.parse_args(argv)
    if args.build and not args.dry_run:
        parser.error('--build: only with --dry-run (the device always '
                     'builds)')
    if args.deadline <= 0:
        parser.error(f'--deadline: expected > 0, got {args.deadline}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cleanup = None
    if args.work is None:
        if args.dry_run:
            cleanup = args.work = tempfile.mkdtemp(prefix='segplug-gpu-')
        else:
            args.work = '/tmp/segplug-gpu'
    run = Run(args)
    if run.audit:
        os.makedirs(run.audit, exist_ok=True)
        os.makedirs(osp.join(run.work, 'audit'), exist_ok=True)
        with open(osp.join(run.work, 'audit', 'sitecustomize.py'), 'w') as f:
            f.write(AUDIT_HOOK)
    print(
        f'segplug GPU run{" (dry run, CPU)" * run.dry}: results in '
        f'{run.out}, work in {run.work}',
        flush=True)
    try:
        run_steps(run)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    failed = [
        s['name'] for s in run.results['steps'] if s['status'] == 'failed'
    ]
    if failed:
        raise SystemExit(f'error: failed: {", ".join(failed)} (see '
                         f'{run.out}/results.json and log.txt)')


if __name__ == '__main__':
    main()
