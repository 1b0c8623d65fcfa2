"""The production process layout on loopback, for tests and benchmarks.

nginx (deploy/nginx/echoes.conf, its addresses and paths rewritten to free ports and a
temporary folder) in front of gunicorn (deploy/gunicorn.conf.py, WSGI: pages and REST)
and daphne (ASGI: /ws/), all in subprocesses with the environment given. A real
deployment runs the same configs under its process manager instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
NGINX_SITE = DEPLOY / "nginx" / "echoes.conf"
GUNICORN_CONFIG = DEPLOY / "gunicorn.conf.py"
# The defaults in the site file, replaced by render_nginx().
SITE_WSGI, SITE_ASGI, SITE_STATIC, SITE_LISTEN = (
    "server 127.0.0.1:8001;",
    "server 127.0.0.1:8002;",
    "alias /srv/echoes/staticfiles/;",
    ("listen 80;", "listen [::]:80;"),
)
# WebSocket limits of the README's daphne command (docs/websocket.md).
DAPHNE_ARGS = (
    *("--websocket_timeout", "-1"),
    *("--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152"),
    *("--ping-interval", "20", "--ping-timeout", "30"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_nginx(folder: Path, *, listen: int, wsgi: int, asgi: int, static_root: Path) -> Path:
    """A main nginx.conf in `folder` that includes the site file with these ports and paths."""
    site = NGINX_SITE.read_text()
    replacements = {
        SITE_WSGI: f"server 127.0.0.1:{wsgi};",
        SITE_ASGI: f"server 127.0.0.1:{asgi};",
        SITE_STATIC: f"alias {static_root.resolve()}/;",
        SITE_LISTEN[0]: f"listen 127.0.0.1:{listen};",
        SITE_LISTEN[1]: "",
    }
    for old, new in replacements.items():
        if old not in site:
            raise RuntimeError(f"{NGINX_SITE} no longer contains {old!r}; update deploy/stack.py")
        site = site.replace(old, new)
    (folder / "echoes.conf").write_text(site)
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    # Workers run as this user (nginx started by root would switch to nobody, who cannot
    # read a private temporary folder).
    user = "user root;" if os.geteuid() == 0 else ""
    main = f"""
{user}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/echoes.conf;
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


@dataclass
class ProductionLayout:
    """nginx + gunicorn + daphne on free loopback ports; `url` is the proxy's."""

    folder: Path
    env: dict[str, str]
    static_root: Path
    wsgi_workers: int = 2
    wsgi_app: str = "echoes_site.wsgi:application"
    asgi_app: str = "echoes_site.asgi:application"
    proxy_port: int = field(default_factory=free_port)
    wsgi_port: int = field(default_factory=free_port)
    asgi_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.proxy_port}"

    @property
    def wsgi_url(self) -> str:
        return f"http://127.0.0.1:{self.wsgi_port}"

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def _spawn(self, name: str, command: list[str]) -> None:
        with self.log(name).open("ab") as out:
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def _wait(self, name: str, port: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.logs()}")
            if port_open(port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not listen on {port} in {timeout}s:\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for name in (*self.processes, "error"):
            path = self.log(name)
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-2000:]}")
        return "\n".join(parts)

    def start(self) -> ProductionLayout:
        nginx = nginx_binary()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "gunicorn",
            [
                str(bin_dir / "gunicorn"),
                "-c",
                str(GUNICORN_CONFIG),
                "--bind",
                f"127.0.0.1:{self.wsgi_port}",
                "--workers",
                str(self.wsgi_workers),
                self.wsgi_app,
            ],
        )
        self._spawn(
            "daphne",
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.asgi_port),
                *DAPHNE_ARGS,
                self.asgi_app,
            ],
        )
        config = render_nginx(
            self.folder,
            listen=self.proxy_port,
            wsgi=self.wsgi_port,
            asgi=self.asgi_port,
            static_root=self.static_root,
        )
        self._spawn(
            "nginx",
            [
                nginx,
                "-p",
                str(self.folder),
                "-e",
                str(self.log("error")),
                "-c",
                str(config),
                "-g",
                "daemon off;",
            ],
        )
        try:
            for name, port in (
                ("gunicorn", self.wsgi_port),
                ("daphne", self.asgi_port),
                ("nginx", self.proxy_port),
            ):
                self._wait(name, port)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
