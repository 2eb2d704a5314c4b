"""`python -m stacklab_swarm TASK` (what `./run swarm` runs)."""

from stacklab_swarm.cli import main

raise SystemExit(main())
