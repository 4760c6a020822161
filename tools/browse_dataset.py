"""Draw what the model trains on.

``segplug browse-dataset`` with the same arguments; the code is in
segplug/cli/browse_dataset.py.
"""
from segplug.cli.browse_dataset import main

if __name__ == '__main__':
    main()
