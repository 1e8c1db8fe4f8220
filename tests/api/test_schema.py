"""The served OpenAPI 3 schema validates (no generator warnings), carries Chinese descriptions,
documents the errors, and its documentation page comes from the product itself."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3.")


def test_served_schema_is_public_and_chinese():
    response = token_client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "党建扶贫结对帮扶 API"
    visits = schema["paths"]["/api/v1/visits/"]
    assert visits["post"]["summary"] == "填报走访（可上传照片）"
    assert "submission_token" in visits["post"]["description"]
    assert visits["get"]["tags"] == ["贫困户与走访"]
    for code in ("400", "401", "403", "404", "409", "413"):
        assert code in visits["post"]["responses"]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_every_operation_has_a_chinese_summary():
    schema = token_client().get("/api/v1/schema/", {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            summary = operation.get("summary", "")
            assert re.search(r"[\u4e00-\u9fff]", summary), f"{method.upper()} {path}"


def test_docs_page_uses_only_our_own_assets():
    response = token_client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "asset from another host"
    assert "<script>" not in html and "<style>" not in html, "inline code is blocked by the CSP"
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
    script = next(a for a in assets if "script" in a and not a.startswith("/static/"))
    init = token_client().get(script.replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()
    assert not re.search(r"https?://", init.content.decode())
