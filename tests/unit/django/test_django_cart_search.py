"""The suggested extensions: a shopping cart in the session, and a title/author search."""

import re

from django.contrib.auth.models import User
from django.test import Client, TestCase

COOKBOOK = "978-0-596-00797-3"
CHERRYPY = "978-1904811848"


def csrf_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def linked_isbns(response) -> list[str]:
    return re.findall(r'href="/books/detail/([^"]+)"', response.content.decode())


class CartTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")
        cls.brian = User.objects.create_user("brian", "brian@dorseys.org", "dorsey-test")

    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(self.jon)

    def post(self, path, client=None):
        client = client or self.client
        return client.post(path, {"csrfmiddlewaretoken": csrf_token(client.get("/books/"))})

    def test_cart_links_on_index_and_detail(self):
        self.assertContains(self.client.get("/books/"), '<a href="/books/cart/">Shopping Cart</a>')
        self.assertContains(self.client.get(f"/books/detail/{COOKBOOK}"), '<a href="/books/cart/">Shopping Cart</a>')

    def test_empty_cart(self):
        response = self.client.get("/books/cart/")
        self.assertContains(response, "<h1>Shopping Cart</h1>")
        self.assertContains(response, "Your cart is empty.")
        self.assertEqual(linked_isbns(response), [])

    def test_add_from_the_detail_page_then_view_then_remove(self):
        detail = self.client.get(f"/books/detail/{COOKBOOK}")
        self.assertContains(detail, f'action="/books/cart/add/{COOKBOOK}"')
        response = self.client.post(f"/books/cart/add/{COOKBOOK}", {"csrfmiddlewaretoken": csrf_token(detail)})
        self.assertRedirects(response, "/books/cart/", fetch_redirect_response=False)
        self.post(f"/books/cart/add/{CHERRYPY}")
        self.post(f"/books/cart/add/{COOKBOOK}")  # twice: still once in the cart
        cart = self.client.get("/books/cart/")
        self.assertEqual(linked_isbns(cart), [COOKBOOK, CHERRYPY])
        self.assertContains(cart, "Python Cookbook, Second Edition")
        self.assertContains(self.client.get(f"/books/detail/{COOKBOOK}"), "In your cart.")

        response = self.post(f"/books/cart/remove/{COOKBOOK}")
        self.assertRedirects(response, "/books/cart/", fetch_redirect_response=False)
        self.assertEqual(linked_isbns(self.client.get("/books/cart/")), [CHERRYPY])

    def test_each_user_has_their_own_cart(self):
        self.post(f"/books/cart/add/{COOKBOOK}")
        brian = Client(enforce_csrf_checks=True)
        brian.force_login(self.brian)
        self.assertEqual(linked_isbns(brian.get("/books/cart/")), [])
        self.assertEqual(linked_isbns(self.client.get("/books/cart/")), [COOKBOOK])

    def test_the_cart_goes_with_the_logout(self):
        self.post(f"/books/cart/add/{COOKBOOK}")
        self.post("/accounts/logout/")
        self.client.force_login(self.jon)
        self.assertEqual(linked_isbns(self.client.get("/books/cart/")), [])

    def test_changes_need_post_and_csrf(self):
        self.assertEqual(self.client.get(f"/books/cart/add/{COOKBOOK}").status_code, 405)
        self.assertEqual(self.client.post(f"/books/cart/add/{COOKBOOK}").status_code, 403)
        self.assertEqual(linked_isbns(self.client.get("/books/cart/")), [])

    def test_unknown_isbn_is_404_and_not_added(self):
        self.assertEqual(self.post("/books/cart/add/000").status_code, 404)
        self.assertEqual(linked_isbns(self.client.get("/books/cart/")), [])

    def test_anonymous_is_sent_to_login(self):
        anonymous = Client()
        for path in ["/books/cart/", f"/books/cart/add/{COOKBOOK}"]:
            with self.subTest(path=path):
                response = anonymous.get(path)
                self.assertRedirects(response, f"/accounts/login/?next={path}", fetch_redirect_response=False)


class SearchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")

    def setUp(self):
        self.client.force_login(self.jon)

    def search(self, q, status=200):
        response = self.client.get("/books/search/", {"q": q})
        self.assertEqual(response.status_code, status)
        return response

    def test_search_form_on_the_index(self):
        self.assertContains(self.client.get("/books/"), 'action="/books/search/"')

    def test_title_case_insensitive(self):
        self.assertEqual(linked_isbns(self.search("python COOKBOOK")), [COOKBOOK])

    def test_author(self):
        self.assertEqual(linked_isbns(self.search("goerzen")), ["978-1430230038"])

    def test_several_matches(self):
        self.assertEqual(len(linked_isbns(self.search("python"))), 4)  # all but The Pragmatic Programmer

    def test_no_match(self):
        response = self.search("perl")
        self.assertEqual(linked_isbns(response), [])
        self.assertContains(response, "No books match.")

    def test_empty_query_shows_only_the_form(self):
        for params in [{}, {"q": ""}, {"q": "   "}]:
            with self.subTest(params=params):
                response = self.client.get("/books/search/", params)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(linked_isbns(response), [])
                self.assertNotContains(response, "No books match.")

    def test_sql_metacharacters_match_literally(self):
        for q in ["' OR 1=1 --", "%", "_", "' OR '1'='1", '"; DROP TABLE books; --', "\\"]:
            with self.subTest(q=q):
                self.assertEqual(linked_isbns(self.search(q)), [])
        self.assertEqual(len(linked_isbns(self.client.get("/books/"))), 5)  # the table is still there

    def test_query_is_escaped_in_the_page(self):
        response = self.search("<script>alert(1)</script>")
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_100_kb_query_is_a_clean_400(self):
        response = self.search("x" * 100_000, status=400)
        self.assertContains(response, "at most 200 characters", status_code=400)
        self.assertLess(len(response.content), 10_000)  # the query is not echoed back

    def test_nul_character_is_a_clean_400(self):
        self.assertContains(self.search("py\x00thon", status=400), "Null characters are not allowed", status_code=400)
