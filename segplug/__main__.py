"""``python -m segplug COMMAND ...``, the same as the ``segplug`` command
(and what ``torchrun -m segplug train ...`` runs)."""
from segplug.cli import main

if __name__ == '__main__':
    main()
