"""Two per-message costs of kombu and Nameko that buy nothing here, removed for every process.

- kombu asks at every `Connection` it builds whether librabbitmq is installed, by trying to import
  it, and Nameko builds a `Connection` for every message it publishes. Without librabbitmq that
  failed import searches the path (under the interpreter's import lock) once per RPC request and
  once per reply. When the module is not installed, it is recorded as absent, so the question is
  answered at once.
- A service's RPC reply is published with a publisher confirm (a broker round trip the worker
  waits for) and as a persistent message. A reply goes to the caller's own exclusive, non-durable
  queue: persistence cannot outlive that queue, and a confirm adds nothing the caller's timeout
  does not already cover. Worse, a confirm that fails raises after the work is done, and the request
  is then redelivered and done twice. Replies are therefore transient and unconfirmed; requests,
  events and work queues keep their confirms.
"""

from __future__ import annotations

import importlib.util
import sys

from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT


def skip_librabbitmq_probe() -> None:
    if "librabbitmq" not in sys.modules and importlib.util.find_spec("librabbitmq") is None:
        sys.modules["librabbitmq"] = None  # type: ignore[assignment]  # `import librabbitmq` fails at once


class ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


def unconfirmed_rpc_replies() -> None:
    """For a service process (services/run.py): its RPC entrypoints answer through ReplyPublisher."""
    nameko_rpc.Responder.publisher_cls = ReplyPublisher


skip_librabbitmq_probe()
