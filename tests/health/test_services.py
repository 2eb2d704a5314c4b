"""Every service, on any target: a real exchange from this machine, its port listening inside, and its main
process running as a user other than root."""

import pytest
from stacklab_core import checks
from stacklab_testing.target import SERVICES

LISTEN = "0A"  # TCP state in /proc/net/tcp*


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_exchange(target, service):
    """The lab's black-box check (stacklab_core.checks) passes against the published port."""
    [result] = checks.run(target.address, target.plan, [service.name], timeout=5.0)
    assert result.ok, result.detail


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_listens_on_its_port(target, inside, service):
    host = inside(service)
    port = f"{target.port(service.port_key):04X}"
    tables = host.check_output("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null || true")
    listening = {
        fields[1].rsplit(":", 1)[1]
        for fields in (line.split() for line in tables.splitlines())
        if len(fields) > 3 and fields[3] == LISTEN
    }
    assert port in listening, f"nothing listens on port {target.port(service.port_key)} in {target.inside(service)}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_main_process_is_not_root(target, inside, service):
    host = inside(service)
    pid = host.check_output(target.main_pid_command(service)).strip()
    assert pid.isdigit() and pid != "0", f"no main process for {service.name} ({pid!r})"
    status = dict(line.split(":", 1) for line in host.file(f"/proc/{pid}/status").content_string.splitlines())
    real, effective, saved, _ = status["Uid"].split()
    assert "0" not in (real, effective, saved), f"{status['Name'].strip()} (pid {pid}) runs with uids {status['Uid']}"
