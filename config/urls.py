from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from home import urls as home_urls
from home import views as home_views
from households import offline as household_offline
from households import urls as household_urls
from villages import urls as village_urls

admin.site.site_header = "党建扶贫结对帮扶工作管理系统"
admin.site.site_title = "结对帮扶管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    # the service worker, from the root so that its scope covers every page
    path("sw.js", household_offline.service_worker, name="service_worker"),
    path("structure/", home_views.structure, name="structure"),
    # The home app's household and village pages share these namespaces with the apps' own
    # pages (the apps sit below assessments, the home pages above it).
    path(
        "villages/",
        include((home_urls.village_patterns + village_urls.urlpatterns, "villages")),
    ),
    path(
        "households/",
        include((home_urls.household_patterns + household_urls.urlpatterns, "households")),
    ),
    path("pairing/", include("pairing.urls")),
    path("cadres/", include("cadres.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("assessments/", include("assessments.urls")),
    path("inspections/", include("inspections.urls")),
    path("reporting/", include("reporting.urls")),
    path("notifications/", include("notifications.urls")),
    # 台账定期报送 (ledgers/subscription_views.py: its own namespace, ledger_mail)
    path("ledgers/", include("ledgers.subscription_views")),
    path("ledgers/", include("ledgers.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.views.static import serve

    # Development only; production serves uploads through the protected views of each app.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
