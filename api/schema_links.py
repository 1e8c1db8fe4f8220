"""OpenAPI links in the served schema (a drf-spectacular postprocessing hook).

A link says which call can follow an answer and where its parameters come from. Clients
(Swagger UI shows them under each response) and schemathesis' stateful run read them: the
created row of a collection POST is fetched, changed and deleted by its id, and the first row
of a list is fetched by its id.

- every collection POST (`/api/v1/<resource>/`) whose success body (201; the visit POST's 200,
  an idempotent retry, carries the same row) has an `id`: links to the item's GET, PATCH and
  DELETE (`/api/v1/<resource>/{id}/`) with `id` = `$response.body#/id`;
- every list GET whose page rows have an `id`: a link to the item's GET with
  `id` = `$response.body#/results/0/id` (the first row of the page; an empty page has none).

Registered in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] after drf-spectacular's own hooks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ITEM_METHODS = ("get", "patch", "delete")
# What each link does, in the request's language like the rest of the schema.
DESCRIPTIONS = {
    "get": _("读取刚创建的记录"),
    "patch": _("修改刚创建的记录"),
    "delete": _("删除刚创建的记录"),
    "list": _("读取本页第一条记录"),
}


def _resolve(schema: dict, node: Any) -> Any:
    """Follow local `$ref`s (`#/components/schemas/…`) until a schema object."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            return None
        seen.add(ref)
        node = schema
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _properties(schema: dict, response: dict) -> dict:
    """The properties of a response's JSON body (empty when it has none)."""
    body = response.get("content", {}).get("application/json", {}).get("schema")
    body = _resolve(schema, body)
    if not isinstance(body, dict):
        return {}
    return body.get("properties") or {}


def _page_row_properties(schema: dict, response: dict) -> dict:
    """The properties of a paginated list's rows (`results: [row]`)."""
    results = _properties(schema, response).get("results")
    results = _resolve(schema, results)
    if not isinstance(results, dict) or results.get("type") != "array":
        return {}
    row = _resolve(schema, results.get("items"))
    if not isinstance(row, dict):
        return {}
    return row.get("properties") or {}


def _item_operations(paths: dict, collection: str) -> dict[str, str]:
    """{method: operationId} of the item path of a collection (`…/{id}/`)."""
    item = paths.get(f"{collection}{{id}}/") or {}
    return {
        method: item[method]["operationId"]
        for method in ITEM_METHODS
        if method in item and "operationId" in item[method]
    }


def _link(operation_id: str, expression: str, description: str) -> dict:
    return {
        "operationId": operation_id,
        "parameters": {"id": expression},
        "description": str(description),
    }


def postprocess_schema_links(result, generator, request, public):
    """Adds the links described in the module docstring to `result` (the schema dict)."""
    paths = result.get("paths") or {}
    for path, item in paths.items():
        if "{" in path or not path.endswith("/"):
            continue  # only collections: /api/v1/<resource>/
        targets = _item_operations(paths, path)
        if not targets:
            continue
        post = item.get("post")
        if post:
            for code, response in post.get("responses", {}).items():
                if code not in ("200", "201"):
                    continue
                if "id" not in _properties(result, response):
                    continue
                links = response.setdefault("links", {})
                for method, operation_id in targets.items():
                    links.setdefault(
                        operation_id,
                        _link(operation_id, "$response.body#/id", DESCRIPTIONS[method]),
                    )
        get = item.get("get")
        if get and "get" in targets:
            response = get.get("responses", {}).get("200")
            if response and "id" in _page_row_properties(result, response):
                links = response.setdefault("links", {})
                links.setdefault(
                    targets["get"],
                    _link(targets["get"], "$response.body#/results/0/id", DESCRIPTIONS["list"]),
                )
    return result
