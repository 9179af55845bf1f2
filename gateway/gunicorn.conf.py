"""gunicorn settings, from env (LICHENG_GATEWAY_BIND, LICHENG_GATEWAY_WORKERS, LICHENG_GATEWAY_THREADS).

gthread workers: each request holds a thread while it waits on RabbitMQ, and each worker process
keeps its own RPC proxy pool (created lazily after fork).
"""

import os

bind = os.environ.get("LICHENG_GATEWAY_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("LICHENG_GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("LICHENG_GATEWAY_THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
preload_app = False


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))


def post_worker_init(worker):
    # Each worker connects to the broker before it takes its first request (its pool is its own).
    # The bench's bare Flask baseline runs on these same settings and has no pool.
    pool = worker.wsgi.extensions.get("rpc_pool")
    if pool is not None:
        pool.warm_up()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
