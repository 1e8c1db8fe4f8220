"""The served OpenAPI 3 schema and its documentation page, both from the product itself.

The documentation is Swagger UI from drf-spectacular-sidecar (our own static files), split so
its start-up script is a separate same-origin file: the site's CSP (script-src 'self', no
inline scripts or styles) holds on this page too, and no asset comes from another host."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class ApiSchemaView(SpectacularAPIView):
    """GET /api/v1/schema/ (YAML; `?format=json` for JSON). Public: it describes the interface,
    never data. Descriptions follow the request's language (Chinese unless Accept-Language: en)."""

    permission_classes = [AllowAny]


class ApiDocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    template_name = "api/swagger_ui.html"
    title = "党建扶贫结对帮扶 API 文档"
