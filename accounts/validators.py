"""Password rules beyond Django's own (graded protection asks for mixed character classes and
no password built on the account name)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassesValidator:
    """At least `min_classes` of: lowercase letters, uppercase letters, digits, other symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )

    def validate(self, password, user=None):
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "密码须包含小写字母、大写字母、数字、符号中的至少%(n)d种。",
            "密码须包含小写字母、大写字母、数字、符号中的至少%(n)d种。",
            self.min_classes,
        ) % {"n": self.min_classes}


class NotContainingUsernameValidator:
    """The account name may not appear inside the password, in any letter case."""

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").lower()
        if len(username) >= 3 and username in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self):
        return _("密码不能包含用户名。")
