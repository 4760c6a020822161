"""Count the parameters and GFLOPs of configs.

``segplug model-stats`` with the same arguments; the code is in
segplug/cli/model_stats.py.
"""
from segplug.cli.model_stats import main

if __name__ == '__main__':
    main()
