"""Fault injection: tools/train.py killed with SIGKILL at 10 moments chosen
by a seeded RNG, half of them while a checkpoint is being written, each
followed by ``--resume``; the last run goes to the end.

Each run is a process of its own, forked from a driver that has imported
torch, mmseg and segplug once: the same code as ``python tools/train.py``
without 5-6 s of imports per run. A kill takes the run's whole process
group (its dataloader worker too), as a node's OOM killer or a preempted
job does.
"""
import json
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from ..utils import shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'
ITERS = 24  # above what 10 runs can reach: 2 saves each at most
KILLS = 10
_NUMBERED = re.compile(r'iter_(\d+)\.pth')
_TEMP = re.compile(r'\.iter_\d+\.pth\.tmp-\d+')


def _fork_train(work: str, shapes_root: str, resume: bool, out: str) -> int:
    """Start tools/train.py in a forked process of its own group."""
    argv = (['tools/train.py', CONFIG, '--work-dir', work] +
            (['--resume'] if resume else []) +
            shapes_options(shapes_root, ITERS, ckpt_interval=1))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    pid = os.fork()
    if pid:
        os.close(fd)
        return pid
    code = 1
    try:
        os.setpgid(0, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        import runpy
        sys.argv = argv
        runpy.run_path(argv[0], run_name='__main__')
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait_for(pid: int, ready, timeout: float = 120) -> bool:
    """Poll ``ready()`` every millisecond; False if the run ended first."""
    deadline = time.time() + timeout
    while not ready():
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
        if time.time() > deadline:
            raise TimeoutError('the run made no progress')
        time.sleep(0.001)
    return True


def _temp_files(work: str) -> list:
    return sorted(n for n in os.listdir(work) if _TEMP.fullmatch(n))


def _read(path: str) -> str:
    with open(path, errors='replace') as f:
        return f.read()


def _moment(trial: dict, work: str, out: str):
    """A function telling when the moment to kill the run has come."""
    if trial['kind'] == 'save':  # the target-th save of the run has begun
        seen, saves = set(_temp_files(work)), set()

        def save_started():
            saves.update(n for n in _temp_files(work) if n not in seen)
            return len(saves) >= trial['target']

        return save_started
    # a random delay after the run said what it resumes from, cut short
    # after 2 new checkpoints so that no run reaches the end on a fast
    # machine
    said = 'Checkpoints will be saved' if trial['index'] == 0 else '--resume:'
    since, saved = [], set(os.listdir(work))

    def delay_passed():
        if not since and said in _read(out):
            since.append(time.time())
        new = [
            n for n in os.listdir(work)
            if _NUMBERED.fullmatch(n) and n not in saved
        ]
        return len(new) >= 2 or (bool(since)
                                 and time.time() - since[0] >= trial['delay'])

    return delay_passed


def _kill_one(trial: dict, work: str, shapes_root: str, out: str) -> None:
    """Run once and SIGKILL the run at the moment ``trial`` names."""
    ready = _moment(trial, work, out)
    pid = _fork_train(work, shapes_root, trial['index'] > 0, out)
    start, alive = time.time(), False
    try:
        alive = _wait_for(pid, ready)
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:  # ended by itself
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # already reaped
            pass
    trial.update(alive_at_kill=alive, moment=round(time.time() - start, 3))


def drive(work: str, shapes_root: str, report: str, seed: int = 0) -> None:
    """Run the trials in this process; write what happened to ``report``
    (JSON) for the test to judge."""
    # what every run imports, imported once before the forks
    import mmseg.datasets  # noqa: F401
    import mmseg.engine  # noqa: F401
    import mmseg.evaluation  # noqa: F401
    import mmseg.models  # noqa: F401
    import mmseg.visualization  # noqa: F401

    import segplug  # noqa: F401
    from segplug.engine.checkpoints.loading import checkpoint_problem
    rng = random.Random(seed)
    save_kills = set(rng.sample(range(KILLS), KILLS // 2))
    os.makedirs(work)
    trials = []
    for index in range(KILLS):
        trial = dict(
            index=index,
            kind='time',
            delay=rng.uniform(0, 2.5),
            target=rng.randint(1, 2))
        if index in save_kills:
            trial['kind'] = 'save'
        out = osp.join(osp.dirname(work), f'run{index}.out')
        _kill_one(trial, work, shapes_root, out)
        names = os.listdir(work)
        numbered = [
            int(m.group(1)) for m in map(_NUMBERED.fullmatch, names) if m
        ]
        trial.update(
            output=out,
            temp_left=_temp_files(work),
            torn=[
                n for n in names if _NUMBERED.fullmatch(n)
                and checkpoint_problem(osp.join(work, n)) is not None
            ],
            newest=max(numbered, default=0))
        trials.append(trial)
    out = osp.join(osp.dirname(work), 'final.out')
    pid = _fork_train(work, shapes_root, True, out)
    final_code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with open(report, 'w') as f:
        json.dump(
            dict(trials=trials, final_output=out, final_code=final_code), f)


def _resumed_at(text: str):
    """The iteration a run's output says it resumes from (0: scratch), or
    None if it was killed before saying."""
    if '--resume: no checkpoint' in text:
        return 0
    found = re.search(r'--resume: resuming from \S*iter_(\d+)\.pth', text)
    return int(found.group(1)) if found else None


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(python_exe, repo_root,
                                               shapes_root, tmp_path):
    work, report = str(tmp_path / 'work'), str(tmp_path / 'report.json')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    code = (f'from tests.test_tools.test_fault_injection import drive; '
            f'drive({work!r}, {shapes_root!r}, {report!r})')
    proc = subprocess.run([python_exe, '-c', code],
                          cwd=repo_root,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(report) as f:
        result = json.load(f)
    trials = result['trials']
    assert len(trials) == KILLS
    for trial in trials:
        # atomic saves: no kill leaves a partial file under a real name
        assert trial['torn'] == [], trial
        assert trial['alive_at_kill'], f'run ended before its kill: {trial}'
    # the kills aimed at saves landed during them: their files stay behind
    mid_save = [t for t in trials if t['temp_left']]
    assert len(mid_save) >= 3, trials
    outputs = [t['output'] for t in trials[1:]] + [result['final_output']]
    for before, out in zip(trials, outputs):
        text = _read(out)
        assert _resumed_at(text) == before['newest'], (before, text[-2000:])
        found = re.search(r'resumed epoch: \d+, iter: (\d+)', text)
        if found:
            assert int(found.group(1)) == before['newest']
        for name in before['temp_left']:
            assert f'removed {osp.join(work, name)}' in text
    assert max(t['newest'] for t in trials) > 0
    final = _read(result['final_output'])
    assert result['final_code'] == 0, final[-3000:]
    assert f'Iter(train) [{ITERS}/{ITERS}]' in final
    from segplug.engine import load_from_local
    ckpt = load_from_local(osp.join(work, f'iter_{ITERS}.pth'))
    assert ckpt['meta']['iter'] == ITERS
    assert ckpt['state_dict']
