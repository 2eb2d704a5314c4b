"""The admin replaces the course's public /databrowse/ (removed in Django 1.5): browse and edit behind a login."""

from django.contrib import admin

from stacklab_django.mailing_list.models import MailingList, PhoneNumbers


class PhoneNumbersInline(admin.TabularInline):
    model = PhoneNumbers
    fields = ("number_type", "phone_number")
    extra = 0


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    fields = ("email", "name")
    list_display = ("email", "name")
    search_fields = ("email", "name")
    inlines = (PhoneNumbersInline,)


@admin.register(PhoneNumbers)
class PhoneNumbersAdmin(admin.ModelAdmin):
    fields = ("email", "number_type", "phone_number")
    list_display = ("email", "number_type", "phone_number")
    list_filter = ("number_type",)
