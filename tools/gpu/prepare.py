"""Download what segplug needs on a lent GPU machine that its image lacks,
here, where the package registries can be reached: the GPU machine reaches
none.

    python tools/gpu/prepare.py [--out .gpu]

Into ``--out`` (ignored by git, carried by the device call):

- ``wheels/``: Python 3.12 manylinux wheels of segplug's requirements and
  theirs, less the packages the image already holds
  (tools/gpu/image_packages.txt), at the versions of
  requirements/constraints.txt, the stack CI tests;
- ``sdist/``: mmcv's and pydensecrf2's sources, built on the machine
  against its own torch and Python (neither has a wheel for them);
- ``build/``: setuptools < 70 for mmcv's build (its setup.py imports
  pkg_resources), kept apart from the run-time wheels;
- ``manifest.json``: every file with its size and sha256, which
  ``tools/gpu/run.py`` checks before installing anything.

docs/gpu.md says how the device call uses them.
"""
import argparse
import configparser
import datetime
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import HeaderParser

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))
PYTHON = '3.12'
# The GPU image's interpreter, for evaluating requirement markers.
TARGET_ENV = dict(
    python_version=PYTHON,
    python_full_version=f'{PYTHON}.3',
    implementation_name='cpython',
    platform_python_implementation='CPython',
    sys_platform='linux',
    platform_system='Linux',
    platform_machine='x86_64',
    os_name='posix',
    extra='')
# pip matches manylinux_2_N exactly, so each N the registry's wheels use.
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64',
             'manylinux_2_24_x86_64', 'manylinux_2_17_x86_64',
             'manylinux2014_x86_64', 'manylinux1_x86_64')
# Built on the machine from source, against its torch.
SDISTS = ('mmcv', 'pydensecrf2')
# mmcv 2.1.0's setup.py imports pkg_resources, gone from setuptools 70.
BUILD_TOOLS = ('setuptools==69.5.1', )
# The tree and the carried folder travel together, 64 MiB at most.
CARRY_LIMIT = 64 * 2**20


class PrepareError(RuntimeError):
    """A download or a check that cannot go on, in one line."""


def read_pins(path: str) -> dict:
    """``name==version`` lines of a constraints file, by normalised name."""
    pins = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if '==' in line:
                name, version = line.split('==', 1)
                pins[canonicalize_name(name)] = version.strip()
    return pins


def read_image_packages(path: str) -> set:
    """The normalised names in ``image_packages.txt`` (comments dropped)."""
    names = set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            names.update(
                canonicalize_name(n) for n in line.split('#', 1)[0].split())
    return names


def install_requires(setup_cfg: str) -> list:
    """segplug's ``install_requires`` as :class:`Requirement` objects."""
    cfg = configparser.ConfigParser()
    cfg.read(setup_cfg, encoding='utf-8')
    lines = cfg['options']['install_requires'].strip().splitlines()
    return [Requirement(line.strip()) for line in lines if line.strip()]


def wheel_requirements(wheel: str) -> list:
    """The requirements a wheel declares that apply on the GPU image's
    Python (markers evaluated there; extras not asked for are left out)."""
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist()
                        if n.endswith('.dist-info/METADATA'))
        headers = HeaderParser().parsestr(zf.read(metadata).decode('utf-8'))
    requirements = []
    for line in headers.get_all('Requires-Dist') or []:
        req = Requirement(line)
        if applies(req):
            requirements.append(req)
    return requirements


def applies(req: Requirement) -> bool:
    """Whether ``req`` is needed on the GPU image's Python."""
    return req.marker is None or req.marker.evaluate(TARGET_ENV)


def pinned(req: Requirement, pins: dict) -> str:
    """``req`` as a pip argument: the constraints' version when there is
    one (which must satisfy ``req``), else ``req``'s own specifier."""
    name = canonicalize_name(req.name)
    if name not in pins:
        return f'{req.name}{req.specifier}'
    version = pins[name]
    if req.specifier and not req.specifier.contains(
            Version(version), prereleases=True):
        raise PrepareError(
            f'{req.name}: requirements/constraints.txt pins {version}, '
            f'outside the {req.specifier} that is asked for; regenerate '
            'the constraints')
    return f'{req.name}=={version}'


def resolve(roots: list,
            image: set,
            pins: dict,
            fetch,
            requirements=wheel_requirements) -> dict:
    """Fetch the wheels of ``roots`` and of everything they need,
    transitively, that the image does not hold: ``fetch(spec)`` downloads
    one wheel and returns its path, ``requirements(path)`` what it needs.
    Returns {normalised name: path}."""
    found = {}
    queue = list(roots)
    while queue:
        req = queue.pop(0)
        name = canonicalize_name(req.name)
        if name in image or name in found or name in SDISTS:
            continue
        found[name] = fetch(pinned(req, pins))
        queue.extend(requirements(found[name]))
    return found


def pip_download(spec: str, dest: str, binary: bool) -> str:
    """Download one distribution of ``spec`` into ``dest``; its path."""
    before = set(os.listdir(dest))
    if binary:
        platform = [f'--platform={p}' for p in PLATFORMS]
        mode = [
            '--only-binary=:all:', f'--python-version={PYTHON}',
            '--implementation=cp'
        ] + platform
    else:
        # An sdist's metadata is prepared with this environment's build
        # tools: mmcv's setup.py imports torch.
        mode = ['--no-binary=:all:', '--no-build-isolation']
    cmd = [
        sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', dest
    ] + mode + [spec]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        raise PrepareError(f'pip download {spec} failed: {last}')
    new = sorted(set(os.listdir(dest)) - before)
    name = canonicalize_name(re.split(r'[=<>!~ ]', spec, 1)[0])
    if not new:  # already there from an earlier run
        new = [f for f in os.listdir(dest) if dist_name(f) == name]
    if len(new) != 1:
        raise PrepareError(f'pip download {spec}: expected one file, got '
                           f'{new or "none"}')
    return osp.join(dest, new[0])


def dist_name(filename: str) -> str:
    """The normalised project name of a wheel or sdist file name."""
    stem = re.sub(r'\.(whl|tar\.gz|zip)$', '', filename)
    return canonicalize_name(re.split(r'-\d', stem, 1)[0])


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(2**20), b''):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out: str) -> dict:
    """Record every file under ``out``'s three folders with its size and
    sha256; refuse two versions of one project."""
    manifest = dict(
        python=PYTHON, created=datetime.date.today().isoformat(), files={})
    for kind in ('wheels', 'sdist', 'build'):
        names = {}
        for f in sorted(os.listdir(osp.join(out, kind))):
            path = osp.join(out, kind, f)
            if dist_name(f) in names:
                raise PrepareError(
                    f'{kind}/: two versions of {dist_name(f)} ({f}, '
                    f'{names[dist_name(f)]}); delete {out} and run again')
            names[dist_name(f)] = f
            manifest['files'][f'{kind}/{f}'] = dict(
                size=osp.getsize(path), sha256=sha256(path))
    with open(osp.join(out, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=1)
    return manifest


def check(out: str) -> dict:
    """The manifest of ``out`` after checking that each file it names is
    there, whole, and that nothing else is; one line on the first fault."""
    path = osp.join(out, 'manifest.json')
    if not osp.isfile(path):
        raise PrepareError(f'{path}: missing; run python tools/gpu/prepare.py '
                           'here first, and carry its folder')
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)
    for rel, entry in manifest['files'].items():
        file = osp.join(out, rel)
        if not osp.isfile(file):
            raise PrepareError(f'{file}: missing; run tools/gpu/prepare.py '
                               'again')
        if (osp.getsize(file) != entry['size']
                or sha256(file) != entry['sha256']):
            raise PrepareError(f'{file}: size or sha256 differs from '
                               f'{path} (a torn copy?); run '
                               'tools/gpu/prepare.py again')
    for kind in ('wheels', 'sdist', 'build'):
        for f in os.listdir(osp.join(out, kind)):
            if f'{kind}/{f}' not in manifest['files']:
                raise PrepareError(f'{osp.join(out, kind, f)}: not in '
                                   f'{path}; delete it or run '
                                   'tools/gpu/prepare.py again')
    return manifest


def tree_size(repo: str) -> int:
    """Bytes of the files a device call sends: tracked and untracked,
    not ignored."""
    files = subprocess.run([
        'git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'
    ],
                           cwd=repo,
                           capture_output=True,
                           check=True).stdout.split(b'\0')
    return sum(
        osp.getsize(osp.join(repo, f.decode())) for f in files
        if f and osp.isfile(osp.join(repo, f.decode())))


def prepare(out: str) -> dict:
    pins = read_pins(osp.join(REPO, 'requirements', 'constraints.txt'))
    image = read_image_packages(osp.join(HERE, 'image_packages.txt'))
    # Into a fresh folder, moved into place whole: an interrupted run
    # leaves the last good one.
    tmp = tempfile.mkdtemp(prefix='.gpu-', dir=osp.dirname(out))
    try:
        for kind in ('wheels', 'sdist', 'build'):
            os.makedirs(osp.join(tmp, kind))
        roots = install_requires(osp.join(REPO, 'setup.cfg'))
        wheels = resolve(
            roots, image, pins,
            lambda spec: pip_download(spec, osp.join(tmp, 'wheels'), True))
        for name in SDISTS:
            req = next((r for r in roots if canonicalize_name(r.name) == name),
                       Requirement(name))
            pip_download(
                pinned(req, pins), osp.join(tmp, 'sdist'), binary=False)
        for spec in BUILD_TOOLS:
            pip_download(spec, osp.join(tmp, 'build'), binary=True)
        manifest = write_manifest(tmp)
        if osp.isdir(out):
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if osp.isdir(tmp):
            shutil.rmtree(tmp)
    manifest['wheel_names'] = sorted(wheels)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--out',
        default=osp.join(REPO, '.gpu'),
        help='the folder to fill (default .gpu in the repository root)')
    args = parser.parse_args(argv)
    out = osp.abspath(args.out)
    try:
        manifest = prepare(out)
    except PrepareError as e:
        raise SystemExit(f'error: {e}')
    carried = sum(e['size'] for e in manifest['files'].values())
    total = carried + tree_size(REPO)
    print(f'{len(manifest["files"])} files, {carried / 2**20:.1f} MiB in '
          f'{out}: {", ".join(manifest["wheel_names"])}; sources: '
          f'{", ".join(sorted(os.listdir(osp.join(out, "sdist"))))}')
    print(f'with the working tree {total / 2**20:.1f} MiB of the device '
          f"call's {CARRY_LIMIT // 2**20} MiB")
    if total > CARRY_LIMIT:
        raise SystemExit('error: the working tree and the carried folder '
                         'exceed what a device call takes; remove large '
                         'untracked files from the tree')


if __name__ == '__main__':
    main()
