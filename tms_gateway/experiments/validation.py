"""What an experiment must be before it starts, and what a variant's changes may hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from merchants.validators import validate_currency_map, validate_locale_map

#: The parts of one option's change a variant may hold.
CHANGE_KEYS = frozenset({"prices", "names", "sort_order", "preselected"})
MAX_SORT_ORDER = 32767


def variant_changes_validate(*, changes: Any, option_codes: Iterable[str]) -> None:
    """``changes`` is ``{option code: {prices?, names?, sort_order?, preselected?}}`` for
    options of the shop; currencies and languages as the option's own fields take them."""
    if not isinstance(changes, dict):
        raise ValidationError('Expected {"<option code>": {"prices": {...}, ...}}.')
    known = set(option_codes)
    unknown = sorted(code for code in changes if code not in known)
    if unknown:
        raise ValidationError(
            _("The shop has no option %(codes)s.") % {"codes": ", ".join(map(repr, unknown))}
        )
    preselected = 0
    for code, change in changes.items():
        if not isinstance(change, dict) or not change:
            raise ValidationError(f"{code}: expected the changes of this option.")
        extra = sorted(set(change) - CHANGE_KEYS)
        if extra:
            raise ValidationError(f"{code}: cannot change {', '.join(extra)}.")
        try:
            if "prices" in change:
                validate_currency_map(change["prices"])
            if "names" in change:
                validate_locale_map(change["names"])
        except ValidationError as exc:
            raise ValidationError(f"{code}: {' '.join(exc.messages)}") from exc
        sort_order = change.get("sort_order")
        if "sort_order" in change and (
            not isinstance(sort_order, int)
            or isinstance(sort_order, bool)
            or not 0 <= sort_order <= MAX_SORT_ORDER
        ):
            raise ValidationError(f"{code}: the sort order is a whole number from 0.")
        if "preselected" in change:
            if change["preselected"] is not True:
                raise ValidationError(f"{code}: preselected is true or left out.")
            preselected += 1
    if preselected > 1:
        raise ValidationError(_("At most one option is preselected."))


def variants_validate(
    *, variants: Iterable[Mapping[str, Any]], option_codes: Iterable[str]
) -> None:
    """At least two variants, distinct names, shares (whole percent, at least 1) summing to 100,
    each one's changes valid for the shop."""
    rows = list(variants)
    codes = list(option_codes)
    if len(rows) < 2:
        raise ValidationError(_("An experiment needs at least two variants."))
    names = [str(v["name"]).strip() for v in rows]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ValidationError(_("Each variant needs its own name."))
    shares = [v["share"] for v in rows]
    if any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in shares):
        raise ValidationError(_("Each variant gets a share of at least 1 %."))
    if sum(shares) != 100:
        raise ValidationError(
            _("The shares add up to %(total)s %%, not 100 %%.") % {"total": sum(shares)}
        )
    for row in rows:
        variant_changes_validate(changes=row["changes"], option_codes=codes)
