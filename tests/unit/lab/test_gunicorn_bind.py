"""The lab's gunicorn binds a host name to this machine's own address under it (compose and swarm name its alias
on its back network, docs/compose.md "Networks"); addresses and sockets pass as they are."""

import pytest
from stacklab_lab import gunicorn_conf


def test_a_name_binds_to_its_own_address():
    assert gunicorn_conf.own_address("localhost:8000") == "127.0.0.1:8000"


@pytest.mark.parametrize("address", ["0.0.0.0:8000", "127.0.0.1:8000", "unix:/run/lab.sock", "fd://3", "[::1]:80"])
def test_addresses_and_sockets_pass_as_they_are(address):
    assert gunicorn_conf.own_address(address) == address


def test_a_name_with_no_address_of_ours_stops_gunicorn_clearly():
    """Never a bind to another replica's address (or to every interface): the start fails, saying why."""
    with pytest.raises(SystemExit, match=r"no address of stacklab-nowhere\.invalid is this container's"):
        gunicorn_conf.own_address("stacklab-nowhere.invalid:8000", wait=0.2)
