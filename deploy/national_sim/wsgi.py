"""gunicorn entry: `gunicorn -c deploy/national_sim/gunicorn_conf.py deploy.national_sim.wsgi:app`."""

from deploy.national_sim.app import create_app

app = create_app()
