"""segplug's build: the package, plus its configs, tools and model index
in ``segplug/.mim/`` as mmseg's and mmdet's wheels carry theirs (mmengine
resolves ``segplug::`` names there, mim finds the tools there).

In the git checkout ``segplug/.mim/`` holds symlinks to the top-level
folders, so an editable install reads the checkout's own files; a wheel
gets copies, made here.
"""
import os.path as osp
import shutil
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')
# tools/gpu prepares and runs the project's own GPU measurements, from a
# checkout: nothing a user of the package runs.
_CACHES = shutil.ignore_patterns('__pycache__', '*.pyc')


def _ignore(folder, names):
    ignored = set(_CACHES(folder, names))
    if osp.samefile(folder, osp.join(HERE, 'tools')):
        ignored.add('gpu')
    return ignored


class BuildPyWithMim(build_py):
    """``build_py`` that also copies :data:`MIM_ITEMS` into
    ``segplug/.mim/`` of the build (not for an editable install)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        target = osp.join(self.build_lib, 'segplug', '.mim')
        if osp.isdir(target):  # a stale copy of an earlier build
            shutil.rmtree(target)
        for item in MIM_ITEMS:
            src, dst = osp.join(HERE, item), osp.join(target, item)
            if osp.isdir(src):
                shutil.copytree(src, dst, ignore=_ignore)
            else:
                shutil.copyfile(src, dst)


setup(cmdclass={'build_py': BuildPyWithMim})
