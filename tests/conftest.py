import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


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
