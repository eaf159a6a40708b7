from django import template

from .. import presentation

register = template.Library()


@register.simple_tag
def state_badge(obj):
    return presentation.state_badge(obj)


@register.filter
def duration(value):
    return presentation.format_duration(value)
