"""Issue 9: every page has the site's name, a heading, the stylesheet and the navigation back to the lab index."""

from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import TestCase, override_settings

STYLESHEET = '<link rel="stylesheet" href="/static/stacklab_django/style.css">'
SITE_NAME = "stacklab · Django bookshop"
PUBLIC_PAGES = [
    "/mailing_list/",
    "/mailing_list/name_list/",
    "/mailing_list/phone_numbers/",
    "/mailing_list/query/",
]
BOOK_PAGES = ["/books/", "/books/detail/978-1904811848", "/books/cart/", "/books/search/?q=python"]


@override_settings(LAB_URL=None, LAB_PORT=8090)
class PageLookTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")

    def assert_site_frame(self, response, status=200):
        self.assertContains(response, STYLESHEET, status_code=status, html=True)
        self.assertContains(response, SITE_NAME, status_code=status)
        self.assertContains(response, '<a href="http://testserver:8090/">lab index</a>', status_code=status, html=True)

    def test_login_page_has_the_site_name_a_heading_the_stylesheet_and_the_lab_link(self):
        response = self.client.get("/accounts/login/?next=/books/")
        self.assert_site_frame(response)
        self.assertContains(response, "<h1>Login</h1>", html=True)
        for target in ["/books/", "/books/cart/", "/books/search/", "/mailing_list/"]:
            self.assertContains(response, f'href="{target}"')
        self.assertNotContains(response, ">Logout</button>")
        self.assertNotContains(response, ">Login</a>")  # this very page

    def test_every_public_page_has_the_frame(self):
        for path in PUBLIC_PAGES:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assert_site_frame(response)
                self.assertContains(response, '<a href="/accounts/login/">Login</a>', html=True)

    def test_every_book_page_has_the_frame_and_the_user(self):
        self.client.force_login(self.jon)
        for path in BOOK_PAGES:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assert_site_frame(response)
                self.assertContains(response, "<strong>User:</strong> jon")
                self.assertContains(response, 'name="csrfmiddlewaretoken"')  # the Logout form's token
                self.assertContains(response, ">Logout</button>")

    def test_404_and_logged_out_pages_keep_their_text_inside_the_frame(self):
        missing = self.client.get("/")
        self.assert_site_frame(missing, status=404)
        self.assertContains(missing, "404 - page not found", status_code=404)
        self.client.force_login(self.jon)
        out = self.client.post("/accounts/logout/")
        self.assert_site_frame(out)
        self.assertContains(out, "Logged out")

    def test_the_lab_link_names_the_host_asked_for_at_lab_port(self):
        # The page's own port (nginx's DJANGO_PORT) is replaced by the lab's.
        response = self.client.get("/accounts/login/", headers={"host": "testserver:8000"})
        self.assertContains(response, 'href="http://testserver:8090/"')
        with self.settings(LAB_PORT=18090):
            self.assertContains(self.client.get("/accounts/login/"), 'href="http://testserver:18090/"')

    def test_django_lab_url_overrides_it_escaped(self):
        with self.settings(LAB_URL='https://lab.example.org/"><b>'):
            response = self.client.get("/accounts/login/")
        self.assertContains(response, 'href="https://lab.example.org/&quot;&gt;&lt;b&gt;"')
        self.assertNotContains(response, "testserver:8090")

    def test_the_stylesheet_is_a_static_file_of_the_app(self):
        # What collectstatic gathers for nginx; test_django_gunicorn_nginx fetches it through nginx.
        path = finders.find("stacklab_django/style.css")
        self.assertIsNotNone(path)
        with open(path, encoding="utf-8") as css:
            self.assertIn("font-family", css.read())
