"""Root URLconf: the admin, Django's own login and logout views, the bookshop and the mailing list.

Nothing is mapped at `/`, so it answers 404 (templates/404.html), as in the course. /healthz is answered by
stacklab_django.health.HealthzMiddleware.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    # POST only (Django 5): the pages carry a small form with the CSRF token instead of a link.
    path(
        "accounts/logout/",
        auth_views.LogoutView.as_view(template_name="registration/bookshop_logged_out.html"),
        name="logout",
    ),
    path("books/", include("stacklab_django.books.urls")),
    path("mailing_list/", include("stacklab_django.mailing_list.urls")),
]
