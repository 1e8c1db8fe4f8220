from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

admin.site.site_header = "党建扶贫结对帮扶工作管理系统"
admin.site.site_title = "结对帮扶管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("villages/", include("villages.urls")),
    path("households/", include("households.urls")),
    path("pairing/", include("pairing.urls")),
    path("cadres/", include("cadres.urls")),
    path("assessments/", include("assessments.urls")),
    path("inspections/", include("inspections.urls")),
    path("notifications/", include("notifications.urls")),
    path("ledgers/", include("ledgers.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.views.static import serve

    # Development only; production serves uploads through the protected views of each app.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
