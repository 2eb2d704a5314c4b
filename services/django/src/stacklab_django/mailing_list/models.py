"""The course's two tables (Philip Greenspun's SQL sample): a person per e-mail, and their phone numbers."""

from django.db import models


class MailingList(models.Model):
    email = models.EmailField(max_length=100, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ("email",)
        verbose_name = "mailing list entry"
        verbose_name_plural = "mailing list"

    def __str__(self) -> str:
        return self.email  # as in the course, which asked "why don't we see both fields?"


class PhoneNumbers(models.Model):
    class NumberType(models.TextChoices):
        WORK = "work"
        HOME = "home"
        CELL = "cell"
        BEEPER = "beeper"

    email = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="phone_numbers")
    number_type = models.CharField(max_length=6, choices=NumberType.choices)
    phone_number = models.CharField(max_length=20)

    class Meta:
        ordering = ("email", "number_type")
        verbose_name = "phone number"
        verbose_name_plural = "phone numbers"
        constraints = (
            # The SQL sample's CHECK constraint, which Django's choices alone do not give: 'beper' is refused.
            models.CheckConstraint(
                condition=models.Q(number_type__in=["work", "home", "cell", "beeper"]),
                name="phone_number_type_valid",
            ),
        )

    def __str__(self) -> str:
        return self.phone_number
