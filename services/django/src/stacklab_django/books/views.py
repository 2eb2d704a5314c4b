"""Every bookshop page needs a login, as in the course; cart changes are POST-only (and so CSRF-protected)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from stacklab_django.books import cart
from stacklab_django.books.forms import SearchForm
from stacklab_django.books.models import Book


@login_required
def index(request):
    return render(request, "books/index.html", {"books": Book.objects.all()})


@login_required
def detail(request, isbn):
    book = get_object_or_404(Book, isbn=isbn)
    return render(request, "books/detail.html", {"book": book, "in_cart": isbn in cart.isbns(request.session)})


@login_required
def cart_view(request):
    isbns = cart.isbns(request.session)
    in_cart = Book.objects.in_bulk(isbns)
    # Cart order; a book deleted since it was added just drops out.
    books = [in_cart[isbn] for isbn in isbns if isbn in in_cart]
    return render(request, "books/cart.html", {"books": books})


@login_required
@require_POST
def cart_add(request, isbn):
    book = get_object_or_404(Book, isbn=isbn)
    cart.add(request.session, book.isbn)
    return redirect("books:cart")


@login_required
@require_POST
def cart_remove(request, isbn):
    cart.remove(request.session, isbn)
    return redirect("books:cart")


@login_required
def search(request):
    form = SearchForm(request.GET)
    if not form.is_valid():  # too long, or a NUL character: say why, and echo nothing back
        return render(request, "books/search.html", {"form": form, "books": None, "q": ""}, status=400)
    q = form.cleaned_data["q"]
    # The ORM passes q as a query parameter and escapes LIKE's % and _, so they match literally.
    books = Book.objects.filter(Q(title__icontains=q) | Q(author__icontains=q)) if q else None
    return render(request, "books/search.html", {"form": form, "books": books, "q": q})
