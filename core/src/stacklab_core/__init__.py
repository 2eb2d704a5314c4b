"""What every target of the lab shares: the catalog of services, the port plan, the KEY=VALUE reader, the server
layout, the protocol checks and the course's server runtime. Standard library only, so a bare server's python3 can
run it too."""
