"""`{% household_rows households as rows %}`: the household list's rows ready to print
(households.selectors.household_rows), so the page's loop only prints values."""

from django import template

from households.selectors import household_rows as build_rows

register = template.Library()


@register.simple_tag
def household_rows(households):
    return build_rows(list(households))
