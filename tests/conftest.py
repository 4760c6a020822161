import itertools
import os
import os.path as osp
import runpy
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def pytest_configure(config):
    """Under pytest-xdist each worker (and the tools it starts) uses one
    torch thread: workers with several threads each would oversubscribe the
    cores, and torch threads waiting on a descheduled sibling slow every op
    many times over.

    The data check's cache goes to one folder per test run (the workers
    and the tools inherit it from the first process), not ~/.cache."""
    _set_data_check_cache()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        os.environ['OMP_NUM_THREADS'] = '1'
        os.environ['MKL_NUM_THREADS'] = '1'
        import torch
        torch.set_num_threads(1)


_OWN_CACHE = []


def _set_data_check_cache():
    if 'SEGPLUG_CACHE_DIR' not in os.environ:
        os.environ['SEGPLUG_CACHE_DIR'] = tempfile.mkdtemp(
            prefix='segplug-cache-')
        _OWN_CACHE.append(os.environ['SEGPLUG_CACHE_DIR'])


def pytest_unconfigure(config):
    for path in _OWN_CACHE:
        shutil.rmtree(path, ignore_errors=True)


def _lane(item) -> int:
    marker = item.get_closest_marker('lane')
    return marker.args[0] if marker else 1


def pytest_collection_modifyitems(config, items):
    """The learning tests first, in two lanes that start side by side:
    pytest-xdist's worksteal hands each of two workers a contiguous half of
    this order, so lane 0 (``@pytest.mark.lane(0)``) heads the first half
    and lane 1 the second; the short tests fill in after them. A shared run
    and the tests that use it sit in one lane, so no worker waits on the
    other's file lock."""
    is_learning = [i.nodeid.startswith('tests/test_learning/') for i in items]
    learning = [i for i, yes in zip(items, is_learning) if yes]
    rest = [i for i, yes in zip(items, is_learning) if not yes]
    lanes = ([i for i in learning
              if _lane(i) == 0], [i for i in learning if _lane(i) != 0])
    head = max(len(items) // 2 - len(lanes[0]), 0)
    items[:] = lanes[0] + rest[:head] + lanes[1] + rest[head:]


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def python_exe():
    """The interpreter running the tests, for the tools' subprocesses."""
    return sys.executable


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A small shapes data set shared by the tests that only read it."""
    from segplug.data_preparation import generate_shapes
    root = tmp_path_factory.mktemp('shapes')
    generate_shapes(str(root), num_train=16, num_val=8, size=64, seed=1)
    return str(root)


@pytest.fixture(scope='session')
def run_tool(repo_root, python_exe):
    """Run a command from the repository root; return the CompletedProcess.
    """

    def run(args, timeout=600, check=True, env=None):
        full_env = dict(os.environ, PYTHONUNBUFFERED='1', PYTHON=python_exe)
        full_env.update(env or {})
        cmd = [python_exe] + args if args[0].endswith('.py') else args
        proc = subprocess.run(
            cmd,
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(
                f'{cmd} failed ({proc.returncode}):\n'
                f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
        return proc

    return run


_IN_PROCESS_RUNS = itertools.count()


@pytest.fixture
def run_tool_in_process(repo_root, monkeypatch):
    """Run a tool's ``__main__`` in this process, as its command line would
    from the repository root: the same code as ``run_tool`` without the
    interpreter start and imports (seconds per call).

    Each training or test run gets its own experiment name: mmengine names
    it by the second it starts and hands a second run in the same process
    and second the first one's logger, which writes to the first's work
    dir."""

    def run(args):
        monkeypatch.chdir(repo_root)
        args = list(args)
        if osp.basename(args[0]) in ('train.py', 'test.py'):
            name = f'in-process-{os.getpid()}-{next(_IN_PROCESS_RUNS)}'
            args += ['--cfg-options', f'experiment_name={name}']
        monkeypatch.setattr(sys, 'argv', args)
        runpy.run_path(args[0], run_name='__main__')

    return run


@pytest.fixture(autouse=True)
def _default_scope_kept():
    """Each test ends with the registry scope it started with: a tool run
    in this process (an mmdet config's, say) leaves its scope the current
    one, and a later test that builds from mmseg's registries would look
    in mmdet's."""
    from mmengine.registry import DefaultScope
    before = list(DefaultScope._instance_dict)
    yield
    scopes = DefaultScope._instance_dict
    for name in [n for n in scopes if n not in before]:
        del scopes[name]
    if before and before[-1] in scopes:
        scopes.move_to_end(before[-1])
