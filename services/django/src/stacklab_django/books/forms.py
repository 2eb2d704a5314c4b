from django import forms


class SearchForm(forms.Form):
    # A bound on what reaches the database; CharField also rejects NUL characters, which PostgreSQL refuses.
    q = forms.CharField(label="Title or author", max_length=200, required=False)
