from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "stacklab_django.books"
    label = "books"
    verbose_name = "Bookshop"
