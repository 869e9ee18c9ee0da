import sys

from papershelf.cli import main

sys.exit(main())
