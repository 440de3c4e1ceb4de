"""Cart tags on the option form: a comma-separated text field (chips with option_forms.js) that
posts the same value either way; a tag that breaks the rule is refused on its field and the
model refuses it too."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape

from merchants.admin.forms import TagsField, TagsWidget
from merchants.models import DeliveryOption
from merchants.validators import TAG_PATTERN, TAG_RULE, is_tag, validate_tags
from tests.factories import DeliveryOptionFactory, MerchantFactory

from .form_rows import set_rows
from .helpers import form_data

pytestmark = pytest.mark.django_db

ADD = "/admin/merchants/deliveryoption/add/"


def _option_data(staff: Client, merchant_id: int, **values: object) -> dict[str, object]:
    data = form_data(staff, f"{ADD}?merchant={merchant_id}", "deliveryoption_form")
    data.update(code="courier-se", kind="own", carrier="generic", countries=["SE"])
    set_rows(data, "names", {"sv": "Vårt bud", "en": "Our courier"})
    set_rows(data, "prices", {"SEK": "49"})
    data.update(values)
    return data


@pytest.mark.parametrize(
    "tag", ["bulky", "18+", "age:18", "dangerous_goods", "kylvara", "ö-1", "heavy goods", "x" * 200]
)
def test_tags_as_shops_write_them_are_tags(tag: str) -> None:
    assert is_tag(tag)
    assert re.fullmatch(TAG_PATTERN, tag)


@pytest.mark.parametrize(
    "tag", ["", " x", "x ", "a,b", "a;b", "a\nb", "<b>", "x" * 201, "tab\there", "nul\x00"]
)
def test_edge_spaces_separators_markup_and_long_tags_are_not(tag: str) -> None:
    assert not is_tag(tag)


def test_the_field_splits_on_commas_and_ignores_repeats() -> None:
    assert TagsField().clean(" bulky,fragile , bulky;18+\n") == ["bulky", "fragile", "18+"]
    assert TagsField(required=False).clean("") == []


def test_the_field_names_each_refused_tag() -> None:
    with pytest.raises(ValidationError) as refused:
        TagsField().clean("bulky, heavy goods, <b>, x>y")
    assert refused.value.messages == [
        f"{tag!r} is not a tag: {TAG_RULE}." for tag in ("<b>", "x>y")
    ]


def test_the_widget_is_a_comma_separated_text_field_carrying_the_rule() -> None:
    html = TagsWidget().render("required_tags", "bulky, fragile", {"id": "id_required_tags"})
    assert 'type="text"' in html
    assert 'name="required_tags"' in html
    assert 'value="bulky, fragile"' in html
    assert 'class="tag-input"' in html
    assert f'data-tag-pattern="{escape(f"^(?:{TAG_PATTERN})$")}"' in html


def test_the_model_refuses_a_tag_the_form_would_refuse() -> None:
    validate_tags(["bulky", "18+"])
    with pytest.raises(ValidationError):
        validate_tags(["a<b"])


def test_saved_tags_are_shown_comma_separated(staff: Client) -> None:
    option = DeliveryOptionFactory.create(required_tags=["bulky", "18+"], excluded_tags=["cold"])
    data = form_data(
        staff, f"/admin/merchants/deliveryoption/{option.pk}/change/", "deliveryoption_form"
    )
    assert data["required_tags"] == "bulky, 18+"
    assert data["excluded_tags"] == "cold"


def test_the_posted_text_is_saved_as_a_list(staff: Client) -> None:
    merchant = MerchantFactory.create()
    data = _option_data(staff, merchant.pk, required_tags="bulky, 18+", excluded_tags="cold,")

    response = staff.post(ADD, data)

    assert response.status_code == 302
    option = DeliveryOption.objects.get(merchant=merchant)
    assert option.required_tags == ["bulky", "18+"]
    assert option.excluded_tags == ["cold"]


def test_a_refused_tag_marks_the_field_and_saves_nothing(staff: Client) -> None:
    merchant = MerchantFactory.create()
    data = _option_data(staff, merchant.pk, required_tags="bulky, a<b")

    response = staff.post(ADD, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["required_tags"]
    assert "'a<b' is not a tag" in form.errors["required_tags"][0]
    assert 'aria-invalid="true"' in str(form["required_tags"])
    assert 'value="bulky, a&lt;b"' in str(form["required_tags"])
    assert not DeliveryOption.objects.filter(merchant=merchant).exists()
