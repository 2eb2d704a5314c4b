from django.urls import path

from stacklab_django.mailing_list import views

app_name = "mailing_list"

urlpatterns = [
    path("", views.index, name="index"),
    path("name_list/", views.name_list, name="name_list"),
    path("phone_numbers/", views.phone_numbers, name="phone_numbers"),
    path("query/", views.query, name="query"),
]
