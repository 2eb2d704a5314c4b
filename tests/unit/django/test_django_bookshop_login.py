"""Course.md §2 item 13: Django's login and logout views, sessions in the database, CSRF."""

import re

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client, TestCase

LOGIN_ERROR = "Sorry, that's not a valid username or password"


def csrf_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


class LoginTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("jon", "jon@uw.edu", "jacky-test")
        User.objects.create_user("brian", "brian@dorseys.org", "dorsey-test")

    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)  # as a browser: the token is required

    def login(self, client, username, password, next_="/books/"):
        page = client.get(f"/accounts/login/?next={next_}")
        data = {"username": username, "password": password, "next": next_, "csrfmiddlewaretoken": csrf_token(page)}
        return client.post(f"/accounts/login/?next={next_}", data)

    def test_login_page_has_the_form(self):
        response = self.client.get("/accounts/login/?next=/books/")
        self.assertContains(response, "<title>Login</title>")
        for field in ['name="csrfmiddlewaretoken"', 'name="username"', 'name="password"', 'name="next"']:
            self.assertContains(response, field)
        self.assertContains(response, 'name="next" value="/books/"')
        self.assertContains(response, "User name:")

    def test_good_login_redirects_to_next_and_shows_the_user(self):
        response = self.login(self.client, "jon", "jacky-test")
        self.assertRedirects(response, "/books/", fetch_redirect_response=False)
        self.assertIn("sessionid", response.cookies)
        page = self.client.get("/books/")
        self.assertContains(page, "<strong>User:</strong> jon")
        self.assertContains(page, 'action="/accounts/logout/"')
        self.assertContains(page, ">Logout</button>")

    def test_the_session_is_stored_in_the_database(self):
        self.login(self.client, "jon", "jacky-test")
        session = Session.objects.get(session_key=self.client.cookies["sessionid"].value)
        self.assertEqual(session.get_decoded()["_auth_user_id"], str(User.objects.get(username="jon").pk))

    def test_login_without_next_goes_to_books(self):
        page = self.client.get("/accounts/login/")
        data = {"username": "jon", "password": "jacky-test", "csrfmiddlewaretoken": csrf_token(page)}
        response = self.client.post("/accounts/login/", data)
        self.assertRedirects(response, "/books/", fetch_redirect_response=False)

    def test_wrong_password_does_not_log_in(self):
        response = self.login(self.client, "jon", "wrong")
        self.assertContains(response, LOGIN_ERROR)
        self.assertNotIn("sessionid", response.cookies)
        self.assertEqual(self.client.get("/books/").status_code, 302)

    def test_unknown_user_gets_the_same_message(self):
        self.assertContains(self.login(self.client, "nobody", "jacky-test"), LOGIN_ERROR)

    def test_login_post_without_csrf_token_is_403(self):
        response = self.client.post("/accounts/login/", {"username": "jon", "password": "jacky-test"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get("/books/").status_code, 302)

    def test_login_does_not_redirect_off_site(self):
        response = self.login(self.client, "jon", "jacky-test", next_="https://evil.example/")
        self.assertRedirects(response, "/books/", fetch_redirect_response=False)

    def test_logout_is_a_post_with_the_logged_out_page(self):
        self.login(self.client, "jon", "jacky-test")
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        self.assertEqual(self.client.get("/books/").status_code, 200)  # GET did not log out
        token = csrf_token(self.client.get("/books/"))
        response = self.client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        self.assertContains(response, "<title>Logged Out</title>")
        self.assertContains(response, "Logged out")
        self.assertContains(response, '<a href="/accounts/login/?next=/books/">Login</a>')
        self.assertRedirects(self.client.get("/books/"), "/accounts/login/?next=/books/", fetch_redirect_response=False)

    def test_logout_without_csrf_token_is_403(self):
        self.login(self.client, "jon", "jacky-test")
        self.assertEqual(self.client.post("/accounts/logout/").status_code, 403)
        self.assertEqual(self.client.get("/books/").status_code, 200)

    def test_two_users_at_once_each_see_their_own_name(self):
        jon, brian = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
        self.login(jon, "jon", "jacky-test")
        self.login(brian, "brian", "dorsey-test")
        jon_page, brian_page = jon.get("/books/"), brian.get("/books/")
        self.assertContains(jon_page, "<strong>User:</strong> jon")
        self.assertNotContains(jon_page, "brian")
        self.assertContains(brian_page, "<strong>User:</strong> brian")
        self.assertNotContains(brian_page, "jon")
