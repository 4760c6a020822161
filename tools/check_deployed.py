"""The accuracy gate of an exported model against its PyTorch checkpoint.

``segplug check-deployed`` with the same arguments; the code is in
segplug/cli/check_deployed.py.
"""
from segplug.cli.check_deployed import main

if __name__ == '__main__':
    main()
