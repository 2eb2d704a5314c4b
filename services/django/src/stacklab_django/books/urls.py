from django.urls import path

from stacklab_django.books import views

app_name = "books"

urlpatterns = [
    path("", views.index, name="index"),
    path("detail/<str:isbn>", views.detail, name="detail"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/<str:isbn>", views.cart_add, name="cart_add"),
    path("cart/remove/<str:isbn>", views.cart_remove, name="cart_remove"),
    path("search/", views.search, name="search"),
]
