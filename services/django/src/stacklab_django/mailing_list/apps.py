from django.apps import AppConfig


class MailingListConfig(AppConfig):
    name = "stacklab_django.mailing_list"
    label = "mailing_list"
    verbose_name = "Mailing list"
