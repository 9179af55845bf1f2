"""gunicorn entry point: `gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app`."""

from gateway.app import create_app
from shared.logs import configure_logging

configure_logging()
app = create_app()
