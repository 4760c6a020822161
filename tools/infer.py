"""Predict images, folders and videos.

``segplug infer`` with the same arguments; the code is in
segplug/cli/infer.py.
"""
from segplug.cli.infer import main

if __name__ == '__main__':
    main()
