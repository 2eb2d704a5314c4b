import sys

from stacklab_backup.tool import main

sys.exit(main())
