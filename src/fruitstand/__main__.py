import sys

from fruitstand.cli import main

sys.exit(main())
