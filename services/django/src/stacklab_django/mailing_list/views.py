"""The course's pages: three placeholders and the list of e-mails, now escaped (the original was not)."""

from django.http import HttpResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from stacklab_django.mailing_list.models import MailingList


def index(request):
    return HttpResponse("mailing_list index to come ...")


def name_list(request):
    people = ((str(person),) for person in MailingList.objects.all())
    return HttpResponse(format_html_join(mark_safe("<br>"), "{}", people))


def phone_numbers(request):
    return HttpResponse("mailing_list phone_numbers to come ...")


def query(request):
    return HttpResponse("mailing_list query to come ...")
