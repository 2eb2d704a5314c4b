"""Course.md §2 item 14: the week-8 mailing_list demo, its seed data and the admin that replaces databrowse."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import TestCase
from stacklab_django.mailing_list.models import MailingList, PhoneNumbers


class MailingListPagesTests(TestCase):
    def test_placeholders(self):
        for path, text in [
            ("/mailing_list/", "mailing_list index to come ..."),
            ("/mailing_list/phone_numbers/", "mailing_list phone_numbers to come ..."),
            ("/mailing_list/query/", "mailing_list query to come ..."),
        ]:
            with self.subTest(path=path):
                self.assertContains(self.client.get(path), text)

    def test_name_list_lists_the_seeded_emails(self):
        response = self.client.get("/mailing_list/name_list/")
        self.assertContains(response, "<p>ogrady@fastbuck.com<br>philg@mit.edu</p>", html=False)

    def test_name_list_is_escaped(self):
        MailingList.objects.create(email="<script>alert(1)</script>@x.org", name="x")
        content = self.client.get("/mailing_list/name_list/").content.decode()
        self.assertNotIn("<script>", content)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;@x.org", content)
        self.assertEqual(content.count("<br>"), 2)

    def test_no_databrowse(self):
        self.assertEqual(self.client.get("/databrowse/").status_code, 404)


class SeedDataTests(TestCase):
    def test_people(self):
        self.assertEqual(
            list(MailingList.objects.values_list("email", "name")),
            [("ogrady@fastbuck.com", "Michael O'Grady"), ("philg@mit.edu", "Philip Greenspun")],
        )

    def test_phone_numbers(self):
        self.assertEqual(
            list(PhoneNumbers.objects.values_list("email", "number_type", "phone_number")),
            [
                ("ogrady@fastbuck.com", "home", "(617) 495-6000"),
                ("ogrady@fastbuck.com", "work", "(800) 555-1212"),
                ("philg@mit.edu", "work", "(617) 253-8574"),
            ],
        )

    def test_the_misspelt_beper_is_refused_by_the_database(self):
        # The SQL sample's fourth insert, meant to fail on its CHECK constraint.
        with self.assertRaises(IntegrityError), transaction.atomic():
            PhoneNumbers.objects.create(
                email_id="ogrady@fastbuck.com", number_type="beper", phone_number="(617) 222-3456"
            )
        self.assertEqual(PhoneNumbers.objects.count(), 3)


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser("admin", "admin@example.org", "admin-test-password")
        cls.jon = User.objects.create_user("jon", "jon@uw.edu", "jacky-test")

    def test_admin_asks_for_a_login(self):
        response = self.client.get("/admin/", follow=True)
        self.assertEqual(response.redirect_chain, [("/admin/login/?next=/admin/", 302)])
        self.assertContains(response, 'name="username"')
        self.assertContains(response, 'name="password"')

    def test_a_demo_user_is_not_let_in(self):
        self.client.force_login(self.jon)
        self.assertRedirects(self.client.get("/admin/"), "/admin/login/?next=/admin/", fetch_redirect_response=False)

    def test_superuser_browses_the_mailing_list_and_the_books(self):
        self.client.force_login(self.admin)
        people = self.client.get("/admin/mailing_list/mailinglist/")
        self.assertContains(people, "philg@mit.edu")
        self.assertContains(people, "Michael O&#x27;Grady")
        self.assertContains(self.client.get("/admin/mailing_list/phonenumbers/"), "(617) 253-8574")
        self.assertContains(self.client.get("/admin/books/book/"), "The Pragmatic Programmer")

    def test_admin_form_refuses_an_unknown_number_type(self):
        self.client.force_login(self.admin)
        data = {"email": "philg@mit.edu", "number_type": "beper", "phone_number": "(617) 222-3456"}
        response = self.client.post("/admin/mailing_list/phonenumbers/add/", data)
        self.assertContains(response, "Select a valid choice.")
        self.assertEqual(PhoneNumbers.objects.count(), 3)
