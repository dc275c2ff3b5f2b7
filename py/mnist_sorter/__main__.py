"""Run the command line: python -m mnist_sorter."""

import sys

from mnist_sorter.cli import main

sys.exit(main())
