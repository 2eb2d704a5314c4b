"""The lab as a Docker Swarm stack on the local engine: its stack file, generated from the compose file, and the
tasks `./run swarm` runs (docs/swarm.md).

    ./run swarm config          print the stack file (also written to build/swarm/docker-stack.yml)
    ./run swarm up              one-node swarm if the engine is in none, DB label, deploy, wait until healthy
    ./run swarm status          every service's replicas and its tasks' states
    ./run swarm logs [SERVICE...] [-f] [--since WHEN]  the logs of a catalog service's front and app (all: none)
    ./run swarm wait            wait until every service has its replicas running and healthy
    ./run swarm down [--volumes]  remove the stack (and its named volumes); the swarm stays
    ./run swarm teardown        down --volumes, leave the swarm, restart dockerd (CI: the engine as before)
    ./run swarm push            tag and push the stack's images to STACKLAB_REGISTRY (several nodes)

(`./run swarm` builds the images first for `up`, then runs `python -m stacklab_swarm`, also the console script
stacklab-swarm.)

The stack file is `docker compose config` (the compose file resolved with stack.env: images, commands,
environment, secrets, healthchecks, limits) turned into what `docker stack deploy` reads (compose format 3.9): no
build, depends_on, profiles or top-level name; limits under deploy.resources; ports in host mode (this kernel has
no IPVS, so no routing mesh and no service VIPs: every service is endpoint_mode dnsrr); a `deploy` section per
service from the catalog (stacklab_core.catalog): the apps behind nginx run 2 replicas and update start-first, the
rest once and stop-first; PostgreSQL only on the node labelled stacklab.db=true. Each nginx front gets its site as
a swarm config, rendered from its own template with dynamic_upstream=true (scripts/render_conf.py, the values its
image uses: services/<name>/conf/nginx-site.env), so nginx follows the replicas.

Environment: STACKLAB_STACK (stack name, default stacklab); any stack.env port key publishes on that port instead
(the containers keep stack.env's: a host-mode port maps published -> target); STACKLAB_REGISTRY (host:port): the
stack's images are named there, as every node of a multi-node swarm must pull them (`push` puts them there).

Modules: common (paths, settings, the docker command), plan (the port plan and the resolved compose file),
stack_file (the stack file), sites (the nginx fronts' configs), engine (the swarm's state, waiting, status), logs
(`logs`), cli (the tasks).
"""
