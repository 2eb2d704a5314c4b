"""The operator's side of a VPS deploy, run on the control machine only: how a release and the server tools are
built (build), the health gate `fab deploy` runs after a switch (gate), and fab's helpers that need no
connection (docs/deploy.md). The servers get stacklab_release and stacklab_backup (hosting/), never this."""
