from villages import views

app_name = "villages"

urlpatterns = [
    *views.INCOME_PAGES.urls("income"),
    # Kept by reviewers (the hub /structure/): villages:region_*, villages:village_*
    *views.REGION_PAGES.urls("regions"),
    *views.VILLAGE_PAGES.urls("manage"),
]
