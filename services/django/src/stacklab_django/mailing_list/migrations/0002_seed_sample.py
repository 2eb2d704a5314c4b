"""The course's SQL sample (week 8, from Philip Greenspun's SQL intro): two people, three phone numbers.

The sample's fourth insert ('beper') was meant to be refused; the model's CHECK constraint still refuses it.
"""

from django.db import migrations

PEOPLE = [("philg@mit.edu", "Philip Greenspun"), ("ogrady@fastbuck.com", "Michael O'Grady")]
PHONE_NUMBERS = [
    ("ogrady@fastbuck.com", "work", "(800) 555-1212"),
    ("ogrady@fastbuck.com", "home", "(617) 495-6000"),
    ("philg@mit.edu", "work", "(617) 253-8574"),
]


def seed(apps, schema_editor):
    person_model = apps.get_model("mailing_list", "MailingList")
    phone_model = apps.get_model("mailing_list", "PhoneNumbers")
    for email, name in PEOPLE:
        person_model.objects.update_or_create(email=email, defaults={"name": name})
    for email, number_type, phone_number in PHONE_NUMBERS:
        phone_model.objects.get_or_create(email_id=email, number_type=number_type, phone_number=phone_number)


def unseed(apps, schema_editor):
    # Deleting the people deletes their phone numbers too (on_delete=CASCADE).
    apps.get_model("mailing_list", "MailingList").objects.filter(email__in=[email for email, _ in PEOPLE]).delete()


class Migration(migrations.Migration):
    dependencies = (("mailing_list", "0001_initial"),)
    operations = (migrations.RunPython(seed, unseed),)
