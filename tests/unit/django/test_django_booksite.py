"""The course's booksite and bookshop tests, ported and fixed for the login, plus the checks of course.md §2 item 12."""

import re

from django.contrib.auth.models import User
from django.test import Client, RequestFactory, TestCase, override_settings
from django.views.defaults import server_error

FIVE_ISBNS = ["978-1904811848", "978-0521725965", "978-1430230038", "978-0-596-00797-3", "978-0201616224"]


class CourseTests(TestCase):
    """week09/booksite/books/tests.py and bookshop/books/tests.py, with the bookshop's test_books fixed."""

    @classmethod
    def setUpTestData(cls):
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")

    def test_empty(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "404 - page not found", status_code=404)

    def test_books_anonymous_redirects_to_login(self):
        response = self.client.get("/books/")
        self.assertRedirects(response, "/accounts/login/?next=/books/", fetch_redirect_response=False)

    def test_books(self):
        self.client.force_login(self.jon)
        self.assertEqual(self.client.get("/books/").status_code, 200)


class BooksiteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")

    def setUp(self):
        self.client.force_login(self.jon)

    def test_index_lists_the_five_books(self):
        response = self.client.get("/books/")
        self.assertContains(response, "<title>Book Database</title>")
        self.assertContains(response, "<h1>Books</h1>")
        links = re.findall(r'href="/books/detail/([^"]+)"', response.content.decode())
        self.assertEqual(sorted(links), sorted(FIVE_ISBNS))

    def test_index_is_sorted_by_title(self):
        titles = re.findall(r'href="/books/detail/[^"]+">([^<]+)</a>', self.client.get("/books/").content.decode())
        self.assertEqual(titles, sorted(titles))
        self.assertEqual(titles[0], "CherryPy Essentials: Rapid Python Web Application Development")

    def test_detail(self):
        response = self.client.get("/books/detail/978-0521725965")
        self.assertContains(response, "<title>Book Database</title>")
        self.assertContains(response, "<h1>Python for Software Design: How to Think Like a Computer Scientist</h1>")
        self.assertContains(response, "ISBN: 978-0521725965")
        self.assertContains(response, "Publisher: Cambridge University Press; 1 edition (March 16, 2009)")
        self.assertContains(response, "Author: Allen B. Downey")
        self.assertContains(response, '<a href="/books/">Back</a>')

    def test_foundations_as_in_bookdb(self):
        response = self.client.get("/books/detail/978-1430230038")
        self.assertContains(response, "Foundations of Python Network Programming")
        self.assertContains(response, "Author: John Goerzen")

    def test_oreilly_has_its_apostrophe_escaped(self):
        response = self.client.get("/books/detail/978-0-596-00797-3")
        self.assertContains(response, "Publisher: O&#x27;Reilly Media")
        self.assertNotContains(response, "OReilly")

    def test_unknown_isbn_is_404(self):
        for path in ["/books/detail/000", "/books/detail/978-0521725965/", "/books/detail/"]:
            with self.subTest(path=path):
                self.assertContains(self.client.get(path), "404 - page not found", status_code=404)

    def test_books_without_slash_redirects(self):
        response = self.client.get("/books")
        self.assertRedirects(response, "/books/", status_code=301, fetch_redirect_response=False)

    def test_anonymous_detail_redirects_to_login(self):
        self.client.logout()
        response = self.client.get("/books/detail/978-0521725965")
        self.assertRedirects(
            response, "/accounts/login/?next=/books/detail/978-0521725965", fetch_redirect_response=False
        )


class ErrorPageTests(TestCase):
    def test_500_page(self):
        response = server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        self.assertIn(b"500 - server error", response.content)


class HealthzTests(TestCase):
    def test_ok_whatever_the_host(self):
        # A container probe says Host: 127.0.0.1:8000, which ALLOWED_HOSTS (here only "testserver") refuses elsewhere.
        response = self.client.get("/healthz", headers={"host": "127.0.0.1:8000"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")
        self.assertEqual(self.client.get("/books/", headers={"host": "127.0.0.1:8000"}).status_code, 400)

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_ok_over_plain_http_when_https_is_on(self):
        # Probes speak plain http to gunicorn; every other page redirects to https.
        client = Client()  # a new handler reads the overridden setting
        self.assertEqual(client.get("/healthz").status_code, 200)
        self.assertRedirects(client.get("/books/"), "https://testserver/books/", 301, fetch_redirect_response=False)
