"""The nginx example: nginx accepts it, and in front of a real refbot it passes on what refbot needs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from refbot.sandbox.postgres import free_port
from tests.deploy import nginx


def test_nginx_accepts_the_example_with_a_certificate_in_place(tmp_path: Path) -> None:
    site = nginx.site(tmp_path, http_port=free_port(), https_port=free_port(), refbot_port=free_port())
    config = nginx.main_config(tmp_path, site)
    done = subprocess.run(nginx.command(config, "-t", "-g", "daemon off;"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "[warn]" not in done.stderr, done.stderr
