"""District administration: schools (tenants) and their first registrar."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.identity.schemas import AccountCreated, CreateSchool, CreateSchoolAdmin, School
from shared.permissions import Permission

bp = Blueprint("schools", __name__, url_prefix="/api/v1")


@endpoint(
    bp,
    "/schools",
    "POST",
    summary="新增學校 / create a school",
    permission=Permission.DISTRICT_SCHOOLS_CREATE,
    body=CreateSchool,
    response=School,
    status=201,
)
def create_school():
    with rpc() as services:
        return jsonify(services.identity.create_school(g.body.model_dump())), 201


@endpoint(bp, "/schools", "GET", summary="學校列表 / list schools", permission=Permission.DISTRICT_SCHOOLS_READ, response=list[School])
def list_schools():
    with rpc() as services:
        return jsonify(services.identity.list_schools())


@endpoint(
    bp,
    "/schools/<code>/registrars",
    "POST",
    summary="開設學校註冊組帳號 / open a school's registrar account",
    permission=Permission.DISTRICT_SCHOOL_ADMINS_CREATE,
    body=CreateSchoolAdmin,
    response=AccountCreated,
    status=201,
)
def create_school_admin(code: str):
    with rpc() as services:
        return jsonify(services.identity.create_school_admin(code, g.body.model_dump())), 201
