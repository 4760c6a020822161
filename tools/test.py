"""Evaluate a checkpoint on the config's test set.

``segplug test`` with the same arguments; the code is in
segplug/cli/test.py.
"""
from segplug.cli.test import main

if __name__ == '__main__':
    main()
