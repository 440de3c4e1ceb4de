"""The carrier sandbox answered inside the calling process: a requests transport adapter.

With ``CARRIER_HTTP_TRANSPORT = "carriers.sandbox.transport.InProcessSandboxAdapter"`` (and
CARRIER_SANDBOX_URL set), every carrier request to the sandbox's URL is answered by the same
sandbox modules, faults and counters as ``manage.py carrier_sandbox``, without a socket: the
adapters still build, send, trace and parse real requests and responses. The bench's
``options_computed`` uses it to measure what the gateway itself costs per answer. Development
and measurement only: production settings refuse a transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .server import SandboxState, sandbox_answer

#: The sandbox state of this process (faults, request counts) for in-process answers.
STATE = SandboxState()


class InProcessSandboxAdapter(BaseAdapter):
    """Answers each request from the sandbox modules; mounted for CARRIER_SANDBOX_URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base_path = urlsplit(base_url).path.rstrip("/")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        parts = urlsplit(str(request.url))
        path = parts.path[len(self._base_path) :] if self._base_path else parts.path
        body = request.body or b""
        answer = sandbox_answer(
            STATE,
            method=str(request.method),
            path=path,
            query=parts.query,
            headers=dict(request.headers),
            body=body.encode() if isinstance(body, str) else body,
        )
        if answer is None:
            raise requests.ReadTimeout("the in-process sandbox hangs", request=request)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(
            {"Content-Type": answer.content_type, **answer.headers}
        )
        response._content = answer.encoded()
        response.url = str(request.url)
        response.request = request
        response.reason = ""
        response.encoding = None
        return response

    def close(self) -> None:
        return None
