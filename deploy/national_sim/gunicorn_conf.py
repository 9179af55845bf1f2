"""gunicorn settings for the simulator, from env (LICHENG_NATIONAL_BIND, _WORKERS, _THREADS).

gthread: a request that sleeps for injected latency holds a thread, not a process, so 2 workers x
16 threads serve 50 ms-latency traffic in parallel. Fault config from LICHENG_NATIONAL_FAULTS /
LICHENG_NATIONAL_LATENCY_MS is written once, by the master, before the workers start.
"""

import os

bind = os.environ.get("LICHENG_NATIONAL_BIND", "127.0.0.1:8090")
workers = int(os.environ.get("LICHENG_NATIONAL_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("LICHENG_NATIONAL_THREADS", "16"))
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("LICHENG_NATIONAL_ACCESS_LOG") or None
errorlog = "-"
preload_app = False


def on_starting(server):
    from deploy.national_sim.config import DEV_SECRET, SimSettings
    from deploy.national_sim.faults import check_config
    from deploy.national_sim.store import Store

    settings = SimSettings()
    if settings.secret == DEV_SECRET:
        server.log.warning("national-sim: LICHENG_NATIONAL_SECRET is not set; using the development secret")
    store = Store(settings.data_dir)
    if settings.initial_faults or settings.latency_ms:
        config = dict(settings.initial_faults)
        config.setdefault("latency_ms", settings.latency_ms)
        store.set_faults(check_config(config))
    server.log.info("national-sim: data in %s", settings.data_dir)
