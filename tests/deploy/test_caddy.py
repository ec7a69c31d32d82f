"""The Caddy example: Caddy reads it, and it sends refbot's paths (only those) with the right body limits."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.deploy.conftest import DEPLOY, tool

CADDYFILE = DEPLOY / "caddy" / "Caddyfile"


def _caddy(tmp_path: Path, verb: str) -> subprocess.CompletedProcess[str]:
    # Its own home: Caddy keeps certificates and state under $HOME / $XDG_DATA_HOME.
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    return subprocess.run([tool("caddy"), verb, "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                          capture_output=True, text=True, timeout=120, env=env)


def test_caddy_validates_the_example(tmp_path: Path) -> None:
    done = _caddy(tmp_path, "validate")
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr


def test_the_example_is_formatted_as_caddy_writes_it(tmp_path: Path) -> None:
    done = _caddy(tmp_path, "adapt")
    assert done.returncode == 0, done.stderr
    assert "not formatted" not in done.stderr, done.stderr


def _routes(tmp_path: Path) -> list[dict[str, Any]]:
    config = json.loads(_caddy(tmp_path, "adapt").stdout)
    site = config["apps"]["http"]["servers"]["srv0"]["routes"][0]
    assert site["match"] == [{"host": ["refbot.example.ac.id"]}]
    routes: list[dict[str, Any]] = site["handle"][0]["routes"]
    return routes


def _handlers(route: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for handler in route["handle"]:
        if handler["handler"] == "subroute":
            found.extend(h for sub in handler["routes"] for h in sub["handle"])
        else:
            found.append(handler)
    return found


def test_webhooks_up_to_8_mb_and_the_console_reach_refbot_and_nothing_else_does(tmp_path: Path) -> None:
    seen: dict[str, tuple[int | None, str]] = {}
    for route in _routes(tmp_path):
        paths = tuple(p for m in route.get("match", [{}]) for p in m.get("path", ["(anything else)"]))
        handlers = _handlers(route)
        limit = next((h["max_size"] for h in handlers if h["handler"] == "request_body"), None)
        upstream = next((h["upstreams"][0]["dial"] for h in handlers if h["handler"] == "reverse_proxy"), "")
        for path in paths:
            seen[path] = (limit, upstream)
    assert seen["/webhook"] == (8_000_000, "127.0.0.1:8080")
    for path in ("/healthz", "/console", "/console/*", "/verify/*"):
        assert seen[path] == (1_000_000, "127.0.0.1:8080"), path
    assert seen["(anything else)"][1] == "", "the sandbox and other paths must not be passed on"
