"""The nginx example, made runnable here: its own ports, a self-signed certificate, files in a temp folder.

Only what must differ on a test machine is replaced, and each replaced text must be in the
example, so the tests check the file an IT officer copies, not a look-alike.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.deploy.conftest import DEPLOY, tool

EXAMPLE = DEPLOY / "nginx" / "refbot.conf"
SITE = "refbot.example.ac.id"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for localhost, made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=120)
    return cert, key


def site(folder: Path, *, http_port: int, https_port: int, refbot_port: int) -> Path:
    """The example with loopback ports, the test certificate and refbot at ``refbot_port``."""
    cert, key = self_signed(folder)
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        f"/etc/letsencrypt/live/{SITE}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{SITE}/privkey.pem": str(key),
        "http://127.0.0.1:8080": f"http://127.0.0.1:{refbot_port}",
    }.items():
        assert old in text, f"the nginx example no longer has {old!r}; update this test with it"
        text = text.replace(old, new)
    path = folder / "refbot.conf"
    path.write_text(text, encoding="utf-8")
    return path


def main_config(folder: Path, site_file: Path) -> Path:
    """An nginx.conf that includes the site, as /etc/nginx/nginx.conf includes sites-enabled."""
    temp = folder / "temp"
    temp.mkdir()
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    paths = "\n".join(f"    {kind}_temp_path {temp / kind};" for kind in kinds)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers would run as nobody, shut out of the temp folder
    path = folder / "nginx.conf"
    path.write_text(f"""{user}pid {folder / 'nginx.pid'};
events {{ worker_connections 64; }}
http {{
    access_log {folder / 'access.log'};
{paths}
    include {site_file};
}}
""", encoding="utf-8")
    return path


def command(config: Path, *extra: str) -> list[str]:
    """nginx with ``config``, logging to stderr, in the foreground."""
    return [tool("nginx"), "-p", str(config.parent), "-e", "stderr", "-c", str(config), *extra]
