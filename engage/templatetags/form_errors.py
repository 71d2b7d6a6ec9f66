"""The anchor an error summary links to: the input itself, or the first of a group's inputs."""

from django import template

register = template.Library()


@register.filter
def error_anchor(bound_field) -> str:
    # Checkbox and radio groups have no element with the field's own id: link to the first box.
    if getattr(bound_field.field.widget, "input_type", "") in ("checkbox", "radio") and getattr(
        bound_field.field.widget, "option_template_name", None
    ):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id or bound_field.html_name


@register.simple_tag(takes_context=True)
def page_form(context):
    """The form whose errors the page summarises: `error_form` when a view names one, else `form`.
    Read from the context directly, as many pages have no form at all."""
    form = context.get("error_form") or context.get("form")
    return form if hasattr(form, "errors") else None
