"""python -m deploy.national_sim [serve | keys SCHOOL_CODE]

serve (default): run under gunicorn (gthread) on LICHENG_NATIONAL_BIND (127.0.0.1:8090).
keys SCHOOL:     print the school's bearer token and receipt password for the current secret.
"""

from __future__ import annotations

import os
import sys

from deploy.national_sim.config import ROOT, SimSettings


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command == "keys" and len(argv) == 2:
        settings = SimSettings()
        print(f"token={settings.bearer_token(argv[1])}")
        print(f"receipt_password={settings.receipt_password(argv[1])}")
        return 0
    if command == "serve":
        os.chdir(ROOT)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}
        args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/national_sim/gunicorn_conf.py"), "deploy.national_sim.wsgi:app"]
        os.execve(sys.executable, args, env)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
