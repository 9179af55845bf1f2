"""Broker addresses for pika clients: one URI, or several separated by ';' for a RabbitMQ cluster.

`LICHENG_AMQP_URI` uses kombu's failover form (`amqp://a:5701/;amqp://b:5702/`), which Nameko passes
to kombu as it is; pika takes a list of connection parameters and tries them in order, so a client
whose node died reconnects to the next one.
"""

from __future__ import annotations

import pika


def broker_uris(amqp_uri: str) -> list[str]:
    return [uri.strip() for uri in amqp_uri.split(";") if uri.strip()]


def pika_parameters(amqp_uri: str, *, heartbeat: int | None = None) -> list[pika.URLParameters]:
    parameters = []
    for uri in broker_uris(amqp_uri):
        one = pika.URLParameters(uri)
        if heartbeat is not None:
            one.heartbeat = heartbeat
        # try the next node soon rather than waiting out a dead one's TCP timeout
        one.connection_attempts = 1
        one.socket_timeout = 5
        parameters.append(one)
    return parameters
