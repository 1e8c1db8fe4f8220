from villages import views

app_name = "villages"

urlpatterns = [
    *views.INCOME_PAGES.urls("income"),
]
