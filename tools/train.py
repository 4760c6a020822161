"""Train a model from a config.

``segplug train`` with the same arguments; the code is in
segplug/cli/train.py.
"""
from segplug.cli.train import main

if __name__ == '__main__':
    main()
