"""`{{ task.name|local_name }}`, `{{ group|group_name }}`: stored BPMN names as people read
them in the active language (see definitions.element_names)."""

from django import template

from definitions import element_names

register = template.Library()


@register.filter
def local_name(name) -> str:
    return element_names.local_name(name)


@register.filter
def group_name(name) -> str:
    return element_names.group_name(name)
