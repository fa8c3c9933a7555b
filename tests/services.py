"""Throwaway servers for the test suite: PostgreSQL 15, Redis and an SMTP sink, on free loopback ports.

Each starts in a temporary folder and is always stopped by its fixture's teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

PG_BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers 200. A listening port is not enough for gunicorn: its master binds the port
    before a worker has loaded the app, which takes seconds on a loaded machine."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        with contextlib.suppress(OSError, urllib.error.URLError):  # refused, reset or still booting
            with urllib.request.urlopen(url, timeout=min(left, 10.0)) as response:
                if response.status == 200:
                    return
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


def _pg_tool(name: str) -> str:
    for folder in PG_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL tool {name} not found")
    return found


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, owned by the postgres user when we run as root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="puchi-pg-"))
        self.as_root = os.geteuid() == 0
        self.data = self.base / "data"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> str:
        if self.as_root:
            # initdb refuses root, so the cluster belongs to postgres (the temp folder's parent is 1777).
            shutil.chown(self.base, "postgres", "postgres")
            os.chmod(self.base, 0o700)
        self._run(_pg_tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "-N")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-o", options,
                  "start")
        subprocess.run([_pg_tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "puchi_test"], check=True, timeout=60)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/puchi_test"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


class RedisServer:
    """A redis-server without persistence; it can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="puchi-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/test installs it)")
        subprocess.run(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.base), "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(self.base / "redis.pid"),
             "--logfile", str(self.base / "redis.log")],
            check=True, timeout=30,
        )
        wait_for_port(self.port)
        return self.url

    def stop(self) -> None:
        cli = shutil.which("redis-cli")
        if cli:
            subprocess.run([cli, "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.05)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._hold_seconds = 0.0
        self.holding = threading.Event()  # set while a held recipient waits for its answer
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if sink._hold_seconds:  # a slow server: the client is mid-send for this long
                    seconds, sink._hold_seconds = sink._hold_seconds, 0.0
                    sink.holding.set()
                    await asyncio.sleep(seconds)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                message = message_from_bytes(envelope.content, policy=policy.default)
                with sink._arrived:
                    sink.messages.append(message)  # type: ignore[arg-type]
                    sink._arrived.notify_all()
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def hold_next_recipient(self, seconds: float) -> None:
        """Answer the next RCPT only after ``seconds``: time to kill a client in the middle of a send."""
        self.holding.clear()
        self._hold_seconds = seconds

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if address.lower() in str(m["To"]).lower()]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._arrived.wait(remaining)


@contextlib.contextmanager
def started(server: PostgresServer | RedisServer) -> Iterator[str]:
    try:
        yield server.start()
    finally:
        server.destroy() if isinstance(server, RedisServer) else server.stop()


S3_BUCKET = "puchi-media"


@contextlib.contextmanager
def s3_server(bucket: str = S3_BUCKET) -> Iterator[str]:
    """moto's S3 server on a free loopback port with ``bucket`` made; yields its endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                     region_name="us-east-1").create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()
