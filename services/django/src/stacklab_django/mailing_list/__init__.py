"""The week-8 mailing_list demo: people and their phone numbers, edited in the admin (databrowse is gone)."""
