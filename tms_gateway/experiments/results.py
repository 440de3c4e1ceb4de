"""An experiment's results, from the checkout events its sessions left.

A checkout of a variant is a session (``session_ref``) with an options answer recorded under the
experiment and that variant. Its reservation and confirm events (which carry no assignment)
join it by ``session_ref``. Per variant:

- checkouts: such sessions (under their last answer's variant); choices: per option, the sessions whose last reservation was it;
- confirmed: the sessions with a confirm; conversion = confirmed / checkouts;
- shipping revenue per checkout: the fees of the confirms (a session's last one) / checkouts.

Each variant after the first (the control) is compared with it: the difference of conversion
with a 95 % confidence interval (normal approximation, unpooled) and a two-proportion z-test
(pooled; the same p as a chi-square test of the 2x2 table without continuity correction), and
the difference of revenue per checkout with Welch's t-test and its interval. A difference is
called real when p < 0.05.

Only checkouts in one currency are counted (the experiment's most frequent one): revenue in
kronor and euros does not add up. The result is plain JSON: it is kept with the experiment when
it stops, and the page renders the same shape, live or kept.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from scipy import stats

from tms_gateway.insights.models import CheckoutEvent

from .models import Experiment

ALPHA = 0.05
CONFIDENCE = 0.95


@dataclass
class _Tally:
    checkouts: int = 0
    confirmed: int = 0
    revenue: int = 0
    revenue_squares: int = 0


def _revenue_stats(tally: _Tally) -> tuple[float, float]:
    """Mean and sample variance of the revenue per checkout (non-confirmed checkouts are 0)."""
    n = tally.checkouts
    mean = tally.revenue / n
    if n < 2:
        return mean, 0.0
    return mean, max(0.0, (tally.revenue_squares - n * mean * mean) / (n - 1))


def conversion_compare(
    *, control: tuple[int, int], variant: tuple[int, int]
) -> dict[str, float | bool] | None:
    """(confirmed, checkouts) of the control and of a variant → the difference of conversion
    (variant - control, as a fraction), its 95 % interval, z and p. None without checkouts."""
    (x1, n1), (x2, n2) = control, variant
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    diff = p2 - p1
    z_crit = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se_pooled == 0:
        z, p_value = 0.0, 1.0
    else:
        z = diff / se_pooled
        p_value = float(2 * stats.norm.sf(abs(z)))
    return {
        "diff": diff,
        "low": diff - z_crit * se,
        "high": diff + z_crit * se,
        "z": z,
        "p": p_value,
        "real": p_value < ALPHA,
    }


def revenue_compare(
    *,
    control: tuple[float, float, int],
    variant: tuple[float, float, int],
) -> dict[str, float | bool] | None:
    """(mean, sample variance, n) of the revenue per checkout of the control and a variant →
    the difference of means (minor units), its 95 % interval and Welch's t-test."""
    (m1, v1, n1), (m2, v2, n2) = control, variant
    if n1 < 2 or n2 < 2:
        return None
    diff = m2 - m1
    se2 = v1 / n1 + v2 / n2
    if se2 == 0:
        return {"diff": diff, "low": diff, "high": diff, "t": 0.0, "p": 1.0, "real": False}
    test = stats.ttest_ind_from_stats(
        mean1=m2,
        std1=math.sqrt(v2),
        nobs1=n2,
        mean2=m1,
        std2=math.sqrt(v1),
        nobs2=n1,
        equal_var=False,
    )
    # Welch-Satterthwaite degrees of freedom, for the interval.
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t_crit = float(stats.t.ppf(1 - (1 - CONFIDENCE) / 2, df))
    half = t_crit * math.sqrt(se2)
    p_value = float(test.pvalue)
    return {
        "diff": diff,
        "low": diff - half,
        "high": diff + half,
        "t": float(test.statistic),
        "p": p_value,
        "real": p_value < ALPHA,
    }


def experiment_results(
    *, experiment: Experiment, until: dt.datetime | None = None
) -> dict[str, Any]:
    """The experiment's results as of ``until`` (now), as plain JSON (see the module doc)."""
    until = until or timezone.now()
    variants = list(experiment.variants.all())
    names = [v.name for v in variants]
    base = CheckoutEvent.objects.filter(merchant_id=experiment.merchant_id, at__lte=until)
    if experiment.started_at is not None:
        base = base.filter(at__gte=experiment.started_at)
    answers = base.filter(kind=CheckoutEvent.Kind.ANSWER, experiment_id=experiment.pk)
    currencies = Counter(
        dict(
            answers.values("currency")
            .order_by()
            .annotate(n=Count("session_ref", distinct=True))
            .values_list("currency", "n")
        )
    )
    currency = currencies.most_common(1)[0][0] if currencies else ""

    variant_of: dict[str, str] = {}
    for ref, name in (
        answers.filter(currency=currency)
        .exclude(session_ref="")
        .order_by("session_ref", "at")
        .values_list("session_ref", "variant")
        .iterator(chunk_size=5000)
    ):
        # The last answer's variant: a session whose shopper became known (an e-mail or number
        # arrived) after its first answer may have switched once; the last is what it chose from.
        variant_of[ref] = name

    tallies = {name: _Tally() for name in names}
    for name in variant_of.values():
        if name in tallies:
            tallies[name].checkouts += 1
    chosen: dict[str, str] = {}
    paid: dict[str, int] = {}
    for kind, ref, option_id, price in (
        base.filter(
            kind__in=(CheckoutEvent.Kind.RESERVATION, CheckoutEvent.Kind.CONFIRM),
            session_ref__in=answers.filter(currency=currency).values("session_ref"),
        )
        .order_by("at", "id")
        .values_list("kind", "session_ref", "option_id", "price")
        .iterator(chunk_size=5000)
    ):
        if ref not in variant_of:
            continue
        if kind == CheckoutEvent.Kind.RESERVATION:
            chosen[ref] = option_id  # the last choice counts
        else:
            chosen.setdefault(ref, option_id)
            paid[ref] = price or 0
    choices: dict[str, Counter[str]] = {name: Counter() for name in names}
    for ref, option_id in chosen.items():
        name = variant_of[ref]
        if name in choices:
            choices[name][option_id] += 1
    for ref, fee in paid.items():
        tally = tallies.get(variant_of[ref])
        if tally is not None:
            tally.confirmed += 1
            tally.revenue += fee
            tally.revenue_squares += fee * fee

    rows: list[dict[str, Any]] = []
    for variant in variants:
        tally = tallies[variant.name]
        made = sum(choices[variant.name].values())
        mean, var = _revenue_stats(tally) if tally.checkouts else (0.0, 0.0)
        rows.append(
            {
                "name": variant.name,
                "share": variant.share,
                "checkouts": tally.checkouts,
                "confirmed": tally.confirmed,
                "conversion": tally.confirmed / tally.checkouts if tally.checkouts else 0.0,
                "revenue": tally.revenue,
                "revenue_per_checkout": mean,
                "revenue_variance": var,
                "choices": dict(sorted(choices[variant.name].items())),
                "choice_share": {
                    option: count / made for option, count in sorted(choices[variant.name].items())
                },
            }
        )
    comparisons = []
    control = rows[0] if rows else None
    for row in rows[1:]:
        assert control is not None
        comparisons.append(
            {
                "variant": row["name"],
                "control": control["name"],
                "conversion": conversion_compare(
                    control=(control["confirmed"], control["checkouts"]),
                    variant=(row["confirmed"], row["checkouts"]),
                ),
                "revenue": revenue_compare(
                    control=(
                        control["revenue_per_checkout"],
                        control["revenue_variance"],
                        control["checkouts"],
                    ),
                    variant=(
                        row["revenue_per_checkout"],
                        row["revenue_variance"],
                        row["checkouts"],
                    ),
                ),
            }
        )
    return {
        "computed_at": until.isoformat(),
        "currency": currency,
        "variants": rows,
        "comparisons": comparisons,
    }


def experiment_results_current(*, experiment: Experiment) -> dict[str, Any]:
    """The kept results of a stopped experiment; computed now for a running one; empty for a
    draft."""
    if experiment.status == "stopped":
        return experiment.results or {}
    if experiment.status == "running":
        return experiment_results(experiment=experiment)
    return {}


def _number(value: float, places: int) -> str:
    """Rounded (number_format alone cuts the digits off), in the language's format."""
    return number_format(round(value, places) + 0.0, decimal_pos=places)


def _p_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < " + _number(0.001, 3)
    return "p = " + _number(p_value, 2 if p_value >= 0.01 else 3)


def comparison_sentence(comparison: dict[str, Any]) -> str:
    """Whether a variant converts differently from the control, in a plain sentence: the
    difference in percentage points, its 95 % interval, and whether it is real yet (p < 0.05)."""
    conversion = comparison.get("conversion")
    names = {"variant": comparison["variant"], "control": comparison["control"]}
    if not conversion:
        return _("Not enough checkouts yet to compare %(variant)s with %(control)s.") % names
    points = conversion["diff"] * 100
    values = {
        **names,
        "points": _number(abs(points), 1),
        "low": _number(conversion["low"] * 100, 1),
        "high": _number(conversion["high"] * 100, 1),
        "p": _p_text(conversion["p"]),
    }
    if points >= 0:
        head = _(
            "Variant %(variant)s converts %(points)s points better than %(control)s "
            "(95 %% CI %(low)s to %(high)s)"
        )
    else:
        head = _(
            "Variant %(variant)s converts %(points)s points worse than %(control)s "
            "(95 %% CI %(low)s to %(high)s)"
        )
    if conversion["real"]:
        tail = _("; the difference is real (%(p)s).")
    else:
        tail = _("; the difference is not clear yet: keep it running (%(p)s).")
    return (head + tail) % values
