"""The fast path of request validation accepts exactly what the DRF serializers accept and
builds the same validated data; everything else is left to the serializers and their errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers as drf

from tms_gateway.ksa import serializers as s
from tms_gateway.ksa.validation import StepAside, fast_check

from .conftest import selection_body, session

SHAPES = (s.SessionIn, s.SelectionSessionIn, s.AuthIn)


def _drf(shape: type[drf.Serializer], data: Any) -> tuple[bool, Any]:
    serializer = shape(data=data)
    if serializer.is_valid():
        return True, serializer.validated_data
    return False, serializer.errors


def _fast(shape: type[drf.Serializer], data: Any) -> Any:
    check = fast_check(shape)
    assert check is not None, f"{shape.__name__} is not compiled"
    return check(data)


def assert_same(shape: type[drf.Serializer], data: Any) -> None:
    """Fast accepts ⇒ the serializer accepts, with equal data; the serializer refuses ⇒ fast
    steps aside."""
    valid, result = _drf(shape, data)
    try:
        fast = _fast(shape, data)
    except StepAside:
        return
    assert valid, f"fast path accepted what DRF refuses: {result}"
    assert fast == result


def test_every_klarna_shape_is_compiled() -> None:
    assert all(fast_check(shape) is not None for shape in SHAPES)


def test_the_contracts_example_takes_the_fast_path_with_the_serializers_result() -> None:
    body = session()
    assert _fast(s.SessionIn, body) == _drf(s.SessionIn, body)[1]
    chosen = selection_body("pn-home", location={"id": "L1"}, addons=[{"id": "sms"}])
    assert _fast(s.SelectionSessionIn, chosen) == _drf(s.SelectionSessionIn, chosen)[1]


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "sek"},  # upper-cased by validate_currency
        {"currency": "XXQ"},  # not ISO 4217: the serializer's message
        {"locale": "  "},  # blank where not allowed
        {"session_id": "  padded  "},  # trimmed
        {"session_id": None},
        {"session_id": 5},  # wrong type
        {"order": None},
        {"order": []},
        {"order": {"total_weight": 2.0}},  # an integral float is an integer
        {"order": {"total_weight": 2.5}},
        {"order": {"total_weight": True}},
        {"order": {"total_weight": -1}},  # below min_value
        {"order": {"total_weight": 2**60}},  # above max_value
        {"order": {"tags": ["a", ""]}},  # a blank tag
        {"order": {"tags": "a"}},  # not a list
        {"order": {"tags": ["x"] * 201}},  # too many
        {"order": {"lines": [None]}},
        {"order": {"lines": [{"quantity": 1, "attributes": {"dimensions": None}}]}},
        {"recipient": {"country": "se"}},  # upper-cased by validate_country
        {"recipient": {"country": "S1"}},
        {"recipient": {"postal_code": "1" * 21}},  # too long
        {"recipient": {"city": "a\x00b"}},  # null character
        {"recipient": {"city": "a\ud800b"}},  # lone surrogate
        {"recipient": {"city": "Malmö"}},
        {"unknown": {"anything": 1}},  # ignored
    ],
)
def test_edges_agree_with_the_serializer(change: dict[str, Any]) -> None:
    body = session()
    body.update(copy.deepcopy(change))
    assert_same(s.SessionIn, body)


def test_missing_required_fields_are_the_serializers_to_name() -> None:
    body = session()
    del body["locale"]
    with pytest.raises(StepAside):
        _fast(s.SessionIn, body)
    with pytest.raises(s.MalformedRequest, match="locale"):
        s.session_parse(body)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", "  ", "SEK", "se", "x" * 300]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["id", "weight", "tags", "quantity", "country", "x"]), inner
        ),
    ),
    max_leaves=8,
)


def _line() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "quantity": _values,
            "reference": _values,
            "attributes": st.one_of(
                _values,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "weight": _values,
                        "tags": _values,
                        "dimensions": st.one_of(
                            _values,
                            st.fixed_dictionaries({}, optional={"height": _values}),
                        ),
                    },
                ),
            ),
        },
    )


_bodies = st.fixed_dictionaries(
    # mostly valid where required, so that the fast path is taken often
    {
        "currency": st.one_of(st.sampled_from(["SEK", "eur", "XXX"]), _values),
        "locale": st.one_of(st.just("sv-SE"), _values),
    },
    optional={
        "session_id": _values,
        "order": st.one_of(
            _values,
            st.fixed_dictionaries(
                {},
                optional={
                    "id": _values,
                    "tags": st.one_of(_values, st.lists(st.text(max_size=3), max_size=3)),
                    "total_weight": _values,
                    "lines": st.one_of(_values, st.lists(_line(), max_size=3)),
                },
            ),
        ),
        "recipient": st.one_of(
            _values,
            st.fixed_dictionaries(
                {},
                optional={
                    "country": _values,
                    "postal_code": _values,
                    "phone": _values,
                },
            ),
        ),
        "selected_shipping_option": st.one_of(
            _values,
            st.fixed_dictionaries(
                {},
                optional={
                    "id": _values,
                    "location": _values,
                    "addons": st.one_of(
                        _values,
                        st.lists(
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "id": _values,
                                    "data": st.one_of(
                                        _values,
                                        st.fixed_dictionaries(
                                            {}, optional={"selected": _values, "text": _values}
                                        ),
                                    ),
                                },
                            ),
                            max_size=2,
                        ),
                    ),
                },
            ),
        ),
    },
)


_taken: list[bool] = []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies)
def _random_bodies(body: dict[str, Any]) -> None:
    for shape in (s.SessionIn, s.SelectionSessionIn):
        assert_same(shape, body)
    try:
        _fast(s.SessionIn, body)
        _taken.append(True)
    except StepAside:
        _taken.append(False)


def test_random_bodies_never_disagree() -> None:
    _taken.clear()
    _random_bodies()
    assert any(_taken), "no random body took the fast path: the strategy tests nothing"
