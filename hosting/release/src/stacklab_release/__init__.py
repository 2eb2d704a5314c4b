"""The lab's server-side release tool, shipped as a zipapp: the command line (tool) and its parts (site, install,
reuse, units, switch). Standard library and stacklab_core.layout only (docs/server-layout.md); it is built and
driven from the control machine by stacklab_deploy (docs/deploy.md)."""
