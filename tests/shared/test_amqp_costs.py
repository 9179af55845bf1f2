"""The per-message costs shared/amqp_costs.py removes: kombu's librabbitmq probe and confirmed,
persistent RPC replies."""

from __future__ import annotations

import sys

import pytest
from kombu.transport import supports_librabbitmq
from nameko import rpc as nameko_rpc
from nameko.constants import NON_PERSISTENT

from shared import amqp_costs

pytestmark = pytest.mark.unit


def test_kombu_learns_at_once_that_librabbitmq_is_absent():
    amqp_costs.skip_librabbitmq_probe()
    assert sys.modules["librabbitmq"] is None
    assert supports_librabbitmq() is None  # the import fails from sys.modules, without a path search


def test_a_service_replies_unconfirmed_and_transient(monkeypatch):
    monkeypatch.setattr(nameko_rpc.Responder, "publisher_cls", nameko_rpc.Responder.publisher_cls)
    amqp_costs.unconfirmed_rpc_replies()
    publisher = nameko_rpc.Responder.publisher_cls("amqp://127.0.0.1:1/")
    assert publisher.use_confirms is False and publisher.delivery_mode == NON_PERSISTENT
