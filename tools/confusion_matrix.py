"""Draw the confusion matrix and per-class IoU of a checkpoint.

``segplug confusion-matrix`` with the same arguments; the code is in
segplug/cli/confusion_matrix.py.
"""
from segplug.cli.confusion_matrix import main

if __name__ == '__main__':
    main()
