from cadres import views

app_name = "cadres"

urlpatterns = [*views.FIELD_DAY_PAGES.urls("field-days")]
