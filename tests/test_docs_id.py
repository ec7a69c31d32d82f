"""The Indonesian pages for a library's IT office (``docs/id/``) name only what refbot has.

An IT officer copies commands, setting keys and ``REFBOT_`` variables from these pages into a
terminal, ``config.yaml`` and ``/etc/refbot/refbot.env``. Each check fails when a page names a
command refbot's parser refuses, a setting or variable refbot does not read, a YAML example
refbot would not start with, or links to a page that is not there.

Conventions the pages follow, so the checks can read them:

- Commands are checked in fenced code blocks: a line whose command is ``refbot`` (after
  ``sudo`` and ``NAME=value`` prefixes) or a path ending in ``/bin/refbot`` (``ExecStart=``
  lines too). A placeholder is written ``<UPPER_CASE>`` and stands for one word; a wrapper
  passing its arguments on (``refbot "$@"``) is not a command line.
- Setting keys are checked where a whole inline code span is ``section.key`` (or
  ``section.*``); file names such as ``config.yaml`` are told apart by their suffix.
- The generic forms ``REFBOT_<SECTION>__<KEY>`` and ``REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY>``
  may be written as such; every other variable must be real.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from refbot.cli import build_parser
from refbot.config import LIBRARY_SECTIONS, SECRET_ENV, ConfigError, describe, env_overrides, load_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "id"
PAGES = sorted(DOCS.glob("*.md"))

PENDING = frozenset({"instalasi.md", "https.md", "cadangan.md", "pemutakhiran.md", "pemantauan.md"})
"""Pages the index links to that another engineer is still writing; a link to them may dangle."""

WRITTEN = frozenset({"README.md", "konfigurasi.md", "whatsapp.md", "katalog.md"})

KEYS = frozenset(key for key, _default, _meaning in describe())
IGNORED_ON_PURPOSE = frozenset({"REFBOT_SERVER_PORT"})  # named as the mistake refbot refuses
"""Variables a page names as the mistake to avoid (one underscore where two belong)."""
GENERIC_VARIABLES = frozenset({"REFBOT_", "REFBOT_<SECTION>__<KEY>", "REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY>"})
FILE_SUFFIXES = frozenset(
    [
        "yaml", "yml", "json", "md", "mrc", "mrk", "xml", "csv", "sql", "env", "service", "timer", "path", "conf",
        "sh", "py", "txt", "log", "dump", "gz", "zip", "sqlite3", "png", "jpg", "org", "com", "net", "id",
    ]
)
"""Last parts that make a dotted name a file or a host (``config.yaml``, ``api.crossref.org``), not a key."""

FENCE = re.compile(r"^ *```([^\n`]*)\n(.*?)^ *```", re.M | re.S)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SETTING = re.compile(r"^[a-z][a-z_]*(\[\])?(\.[a-z][a-z0-9_]*)+$|^[a-z][a-z_]*\.\*$")
VARIABLE = re.compile(r"REFBOT_[A-Za-z0-9_<>]*")
PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def blocks(text: str) -> list[tuple[str, str]]:
    """Each fenced code block as (its info string, its body)."""
    return [(m[1].strip(), m[2]) for m in FENCE.finditer(text)]


def prose(text: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", text)


def command_lines(body: str) -> list[str]:
    """The block's lines with shell continuations (a trailing backslash) joined."""
    return body.replace("\\\n", " ").splitlines()


def refbot_args(line: str) -> list[str] | None:
    """The arguments a line passes to refbot, or None when the line does not run refbot."""
    lexer = shlex.shlex(PLACEHOLDER.sub("PLACEHOLDER", line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = _before_operators(list(lexer))
    for i, token in enumerate(tokens):
        if token.endswith("/bin/refbot"):
            return tokens[i + 1:]
    i = _past_prefixes(tokens)
    return tokens[i + 1:] if i < len(tokens) and tokens[i] == "refbot" else None


def _before_operators(tokens: list[str]) -> list[str]:
    # A pipe, a list or a redirection ends refbot's arguments (``2>&1``: the 2 goes too).
    for i, token in enumerate(tokens):
        if token and all(c in "();<>|&" for c in token):
            return tokens[: i - 1] if i and tokens[i - 1].isdigit() else tokens[:i]
    return tokens


def _past_prefixes(tokens: list[str]) -> int:
    """Index of the command word after ``NAME=value`` assignments and ``sudo`` with its options."""
    i = 0
    while i < len(tokens) and ASSIGNMENT.match(tokens[i]):
        i += 1
    if i < len(tokens) and tokens[i] == "sudo":
        i += 1
        while i < len(tokens) and tokens[i].startswith("-"):
            i += 2 if tokens[i] in ("-u", "-g", "--user", "--group") else 1
        while i < len(tokens) and ASSIGNMENT.match(tokens[i]):
            i += 1
    return i


def command_problems(text: str) -> list[str]:
    """Every refbot command line in the page's code blocks that refbot's parser refuses."""
    problems = []
    parser = build_parser()
    for _info, body in blocks(text):
        for line in command_lines(body):
            args = refbot_args(line)
            if args is None or args == ["$@"]:
                continue
            with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
                try:
                    parser.parse_args(args)
                except SystemExit as e:
                    if e.code:
                        problems.append(f"{line.strip()!r}: {err.getvalue().strip().splitlines()[-1]}")
    return problems


def setting_problems(text: str) -> list[str]:
    """Every ``section.key`` in inline code that is not one of refbot's settings."""
    problems = []
    for span in INLINE_CODE.findall(prose(text)):
        if not SETTING.match(span) or span.rsplit(".", 1)[1] in FILE_SUFFIXES:
            continue
        known = any(k.startswith(span[:-1]) for k in KEYS) if span.endswith(".*") else span in KEYS
        if not known:
            problems.append(f"`{span}` is not a setting (see `refbot config`)")
    return problems


def variable_problems(text: str) -> list[str]:
    """Every ``REFBOT_`` name that is neither a secret, ``REFBOT_CONFIG`` nor a valid override."""
    return [f"{var}: {problem}" for var in sorted(set(VARIABLE.findall(text)))
            if (problem := _variable_problem(var)) is not None]


def _variable_problem(var: str) -> str | None:
    if var in SECRET_ENV.values() or var == "REFBOT_CONFIG" or var in GENERIC_VARIABLES or var in IGNORED_ON_PURPOSE:
        return None
    if "<" in var or ">" in var:
        return "a placeholder form other than REFBOT_<SECTION>__<KEY> or REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY>"
    overrides = env_overrides({var: ""})
    if var not in overrides:
        return "neither a secret nor an override (two underscores: REFBOT_<SECTION>__<KEY>); refbot ignores it"
    path = overrides[var][0]
    if path[0] == "libraries":
        if len(path) < 3 or path[2] not in LIBRARY_SECTIONS:
            return "a library override is REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY> with a section a library may set"
        path = path[2:]
    key = ".".join(path)
    return None if key in KEYS and key != "libraries" else f"no setting {key}"


def link_problems(text: str, page: Path) -> list[str]:
    """Every relative link to a file that is not there (pending pages aside) or an anchor it lacks."""
    problems = []
    for target in LINK.findall(prose(text)):
        if re.match(r"^[a-z]+:", target):
            continue
        path_part, _, anchor = target.partition("#")
        file = (page.parent / path_part).resolve() if path_part else page
        if not file.exists():
            if not (file.parent == DOCS and file.name in PENDING):
                problems.append(f"{target}: no such file")
            continue
        if anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            problems.append(f"{target}: no heading with that anchor in {file.name}")
    return problems


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the page's headings."""
    found = set()
    for line in prose(text).splitlines():
        if m := re.match(r"^#{1,6} +(.*?) *#*$", line):
            title = re.sub(r"[^\w\- ]", "", m[1].replace("`", "").lower())
            found.add(title.replace(" ", "-"))
    return found


def yaml_problems(text: str, folder: Path) -> list[str]:
    """Every ``yaml`` example refbot would refuse to start with."""
    problems = []
    for i, (info, body) in enumerate(blocks(text)):
        if info not in ("yaml", "yml"):
            continue
        path = folder / f"example-{i}.yaml"
        path.write_text(body, encoding="utf-8")
        try:
            load_settings(path, env={})
        except Exception as e:  # any refusal is the finding
            problems.append(f"yaml block {i + 1}: {e}")
    return problems


def page_id(page: Path) -> str:
    return page.name


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_refbot_command_line_parses(page: Path) -> None:
    assert command_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_setting_key_named_exists(page: Path) -> None:
    assert setting_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_refbot_variable_is_a_secret_or_an_override(page: Path) -> None:
    assert variable_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_points_to_a_page(page: Path) -> None:
    assert link_problems(page.read_text(encoding="utf-8"), page) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_yaml_example_is_a_configuration_refbot_accepts(page: Path, tmp_path: Path) -> None:
    assert yaml_problems(page.read_text(encoding="utf-8"), tmp_path) == []


def test_a_variable_named_as_a_mistake_is_one_refbot_refuses(tmp_path: Path) -> None:
    # The page warns that a single underscore stops refbot with a message naming the variable; so it must.
    for var in IGNORED_ON_PURPOSE:
        assert var not in SECRET_ENV.values() and var not in env_overrides({var: "8081"})
        with pytest.raises(ConfigError, match=var):
            load_settings(None, env={var: "8081"})


def test_the_written_pages_are_there() -> None:
    assert {page.name for page in PAGES} >= WRITTEN


def test_the_index_links_every_page_written_or_pending() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {target.partition("#")[0] for target in LINK.findall(prose(index))}
    assert (WRITTEN - {"README.md"}) | PENDING <= linked


BAD_PAGE = """\
# Contoh halaman yang keliru

Atur `desk.jam_buka` dan `whatsap.phone_number_id`; `config.yaml` dan `desk.*` benar.
Isi REFBOT_WHATSAP_TOKEN, REFBOT_DESK_TIMEZONE, REFBOT_SERVER__PROT, REFBOT_LIBRARIES__UNDIP__SERVER__PORT.
Lihat [instalasi](instalasi.md), [hilang](tidak-ada.md), [jangkar](konfigurasi.md#tidak-ada-judul-ini).

```sh
sudo refbot index bangun katalog.mrc
sudo -u refbot REFBOT_CONFIG=/etc/refbot/config.yaml refbot serve --prot 8081
ExecStart=/opt/refbot/venv/bin/refbot index status --jsn
refbot index serve <GENERASI>
systemctl restart refbot
```

```yaml
desk:
  office_hours: mon-fri 08:00-16:00
```
"""


def test_the_checks_catch_what_an_it_officer_would_trip_over(tmp_path: Path) -> None:
    commands = command_problems(BAD_PAGE)
    assert [p.split(":")[0] for p in commands] == [
        "'sudo refbot index bangun katalog.mrc'",
        "'sudo -u refbot REFBOT_CONFIG=/etc/refbot/config.yaml refbot serve --prot 8081'",
        "'ExecStart=/opt/refbot/venv/bin/refbot index status --jsn'",
    ]  # the placeholder line parses; systemctl is not refbot
    assert setting_problems(BAD_PAGE) == [
        "`desk.jam_buka` is not a setting (see `refbot config`)",
        "`whatsap.phone_number_id` is not a setting (see `refbot config`)",
    ]
    assert [p.split(":")[0] for p in variable_problems(BAD_PAGE)] == [
        "REFBOT_DESK_TIMEZONE", "REFBOT_LIBRARIES__UNDIP__SERVER__PORT", "REFBOT_SERVER__PROT", "REFBOT_WHATSAP_TOKEN",
    ]
    assert link_problems(BAD_PAGE, DOCS / "contoh.md") == [
        "tidak-ada.md: no such file",
        "konfigurasi.md#tidak-ada-judul-ini: no heading with that anchor in konfigurasi.md",
    ]  # instalasi.md is pending
    assert len(yaml_problems(BAD_PAGE, tmp_path)) == 1
