"""The lab's releases: the server-side tool (tool), how a release and the tool are built (build), and the health
gate `fab deploy` runs after a switch (gate). Standard library only (docs/server-layout.md, docs/deploy.md)."""
