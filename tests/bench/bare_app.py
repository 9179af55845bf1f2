"""The baseline for the gateway read path: a bare Flask endpoint on the same gunicorn settings."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify({"ok": True, "username": "baseline", "roles": ["teacher"]})
