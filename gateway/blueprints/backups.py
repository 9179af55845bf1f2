"""The registrar's view of backups: the last good one, the alarm, recent runs, retained backups."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.endpoints import endpoint
from gateway.services import rpc
from shared.permissions import Permission

bp = Blueprint("backups", __name__, url_prefix="/api/v1")


@endpoint(bp, "/backups", "GET", summary="資料備份狀態 / backup status", permission=Permission.SCHOOL_BACKUPS_READ)
def backup_status():
    with rpc() as services:
        return jsonify(services.backup.status())
