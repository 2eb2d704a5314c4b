"""Helpers of the lab tests: a port plan with some ports overridden."""

from pathlib import Path

from stacklab_core import ports as port_plan

from tests.unit.servers import free_port

STACK_ENV = Path(__file__).parents[3] / "stack.env"


def plan(**ports) -> dict[str, str]:
    """The repository's plan with some ports moved, and every other service on a closed port."""
    repository = port_plan.load(STACK_ENV)
    closed = {key: str(free_port()) for key in repository if key.endswith("_PORT")}
    return {**repository, **closed, **{key: str(value) for key, value in ports.items()}}
