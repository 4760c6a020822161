import os
import os.path as osp
import runpy
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def pytest_configure(config):
    """Under pytest-xdist each worker (and the tools it starts) uses one
    torch thread: workers with several threads each would oversubscribe the
    cores, and torch threads waiting on a descheduled sibling slow every op
    many times over."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        os.environ['OMP_NUM_THREADS'] = '1'
        os.environ['MKL_NUM_THREADS'] = '1'
        import torch
        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """The learning tests first: under pytest-xdist the long runs then start
    at once on every worker and the short tests fill in around them."""
    items.sort(key=lambda item: not item.nodeid.startswith(
        'tests/test_learning/'))


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
    from segplug.datasets import generate_shapes
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
        proc = subprocess.run(cmd, cwd=repo_root, capture_output=True,
                              text=True, timeout=timeout, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(f'{cmd} failed ({proc.returncode}):\n'
                                 f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
        return proc

    return run


@pytest.fixture
def run_tool_in_process(repo_root, monkeypatch):
    """Run a tool's ``__main__`` in this process, as its command line would
    from the repository root: the same code as ``run_tool`` without the
    interpreter start and imports (seconds per call)."""

    def run(args):
        monkeypatch.chdir(repo_root)
        monkeypatch.setattr(sys, 'argv', list(args))
        runpy.run_path(args[0], run_name='__main__')

    return run
