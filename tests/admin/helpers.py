"""Post admin forms as a browser would: every field of the rendered form, then the changes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.test.client import Client

from merchants.models import AuditLog


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value", "on"))
                return
            self._add(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first = None
            self._select_chosen = False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._add(self._select[0], value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            if not self._select_chosen and not multiple and self._select_first is not None:
                self._add(name, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_data(client: Client, url: str, form_id: str) -> dict[str, Any]:
    """The fields of form ``form_id`` on the page at ``url``, as the browser would send them."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def audit_rows(**filters: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, object type, changes) of the audit rows, oldest first."""
    return [
        (row.action, row.object_type, row.changes)
        for row in AuditLog.objects.filter(**filters).order_by("id")
    ]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


ONCE = re.compile(r'name="once" value="([^"]+)"')


def post_once(client: Client, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Open the form at ``url`` and post it with its one-time nonce, as a browser would."""
    match = ONCE.search(client.get(url).content.decode())
    assert match, f"no one-time nonce in the form at {url}"
    return client.post(url, {**(data or {}), "once": match.group(1)}, **kwargs)
