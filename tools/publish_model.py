"""Strip a checkpoint for release, its sha256 in its name.

``segplug publish-model`` with the same arguments; the code is in
segplug/cli/publish_model.py.
"""
from segplug.cli.publish_model import main

if __name__ == '__main__':
    main()
