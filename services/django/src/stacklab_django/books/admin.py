from django.contrib import admin

from stacklab_django.books.models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "isbn", "publisher")
    search_fields = ("title", "author", "isbn")
