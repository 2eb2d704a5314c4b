"""The course's pages: three placeholders and the list of e-mails, now escaped (the original was not).

The course returned bare text; here each page carries the site's header, its text unchanged inside.
"""

from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from stacklab_django.mailing_list.models import MailingList


def _page(request, heading, text):
    return render(request, "mailing_list/page.html", {"heading": heading, "text": text})


def index(request):
    return _page(request, "Mailing list", "mailing_list index to come ...")


def name_list(request):
    people = ((str(person),) for person in MailingList.objects.all())
    return _page(request, "Names", format_html_join(mark_safe("<br>"), "{}", people))


def phone_numbers(request):
    return _page(request, "Phone numbers", "mailing_list phone_numbers to come ...")


def query(request):
    return _page(request, "Query", "mailing_list query to come ...")
