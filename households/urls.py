from django.urls import path

from households import views

app_name = "households"

urlpatterns = [
    path("visits/new/", views.visit_create_view, name="visit_create"),
    path("visits/review/", views.review_list_view, name="review_list"),
    path("visits/<int:pk>/", views.visit_detail_view, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit_view, name="visit_edit"),
    path("visits/<int:pk>/delete/", views.visit_delete_view, name="visit_delete"),
    path("visits/<int:pk>/review/", views.visit_review_view, name="visit_review"),
    path("<int:pk>/reveal/", views.reveal_id, name="reveal_id"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
    path("photos/<int:pk>/thumb/", views.photo_view, {"size": "thumb"}, name="photo_thumb"),
]
