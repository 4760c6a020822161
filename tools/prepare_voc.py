"""Add the SBD annotations to PASCAL VOC 2012.

``segplug prepare-voc`` with the same arguments; the code is in
segplug/cli/prepare_voc.py.
"""
from segplug.cli.prepare_voc import main

if __name__ == '__main__':
    main()
