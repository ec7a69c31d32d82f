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
- A ``yaml`` block is a ``config.yaml`` refbot must start with, unless its first line is a comment
  naming another YAML file (``# /etc/prometheus/prometheus.yml``): then it need only be YAML.
- A command run in a container (``… compose run|exec [OPTIONS] SERVICE refbot …``) is checked too.
- Metric names (``refbot_…``) and their ``outcome``/``reason`` values are refbot's; systemd units
  named ``refbot…`` (in prose, or after ``systemctl``/``journalctl``) are in ``deploy/`` or written
  out on a page (a block starting ``# /etc/systemd/system/NAME``).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
import yaml

from refbot.cli import build_parser
from refbot.config import LIBRARY_SECTIONS, SECRET_ENV, ConfigError, describe, env_overrides, load_settings
from refbot.metrics import GAUGES, OUTCOMES, REFUSALS, Metrics

DOCS = Path(__file__).resolve().parents[1] / "docs" / "id"
DEPLOY = DOCS.parents[1] / "deploy"
PAGES = sorted(DOCS.glob("*.md"))

PENDING: frozenset[str] = frozenset()
"""Pages the index links to that are still being written; a link to them may dangle."""

WRITTEN = frozenset({
    "README.md", "konfigurasi.md", "whatsapp.md", "katalog.md",
    "instalasi.md", "https.md", "cadangan.md", "pemutakhiran.md", "pemantauan.md",
})

KEYS = frozenset(key for key, _default, _meaning in describe())
IGNORED_ON_PURPOSE = frozenset({"REFBOT_SERVER_PORT"})  # named as the mistake refbot refuses
"""Variables a page names as the mistake to avoid (one underscore where two belong)."""
GENERIC_VARIABLES = frozenset({"REFBOT_", "REFBOT_<SECTION>__<KEY>", "REFBOT_LIBRARIES__<ID>__<SECTION>__<KEY>"})
FILE_SUFFIXES = frozenset(
    [
        "yaml", "yml", "json", "md", "mrc", "mrk", "xml", "csv", "sql", "env", "service", "timer", "path", "conf",
        "sh", "py", "txt", "log", "dump", "gz", "zip", "sqlite3", "lock", "png", "jpg", "org", "com", "net", "id",
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
OTHER_YAML_FILE = re.compile(r"^#\s*(?:\S*/)?([\w.-]+\.ya?ml)\b")
METRIC = re.compile(r"\b(refbot_[a-z][a-z_]*)(?:\{([^}]*)\})?")
METRIC_LABEL = re.compile(r'(\w+)\s*=~?\s*"([^"]*)"')
LABEL_VALUES = {"outcome": frozenset(OUTCOMES), "reason": frozenset(REFUSALS)}
UNIT = re.compile(r"\brefbot(?:-[a-z]+)*(?:@[\w*]*)?\.(?:service|timer)\b")
UNIT_FILE = re.compile(r"^# /etc/systemd/system/(\S+)$", re.M)
COMPOSE_OPTIONS_WITH_VALUE = frozenset(
    ["-e", "--env", "-u", "--user", "-w", "--workdir", "--name", "-p", "--publish", "-v", "--volume", "--entrypoint"]
)


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
    if "compose" in tokens:
        return _in_container(tokens)
    i = _past_prefixes(tokens)
    return tokens[i + 1:] if i < len(tokens) and tokens[i] == "refbot" else None


def _in_container(tokens: list[str]) -> list[str] | None:
    """refbot's arguments in ``… compose run|exec [OPTIONS] SERVICE refbot …``; None for any other command."""
    starts = [i for i, token in enumerate(tokens) if token in ("run", "exec")]
    if not starts:
        return None
    i = starts[0] + 1
    while i < len(tokens) and tokens[i].startswith("-"):
        i += 2 if tokens[i] in COMPOSE_OPTIONS_WITH_VALUE else 1
    i += 1  # the service
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
    """Every ``yaml`` example refbot would refuse to start with, or another YAML file that is not YAML."""
    problems = []
    for i, (info, body) in enumerate(blocks(text)):
        if info not in ("yaml", "yml"):
            continue
        other = OTHER_YAML_FILE.match(body.split("\n", 1)[0])
        if other and other[1] != "config.yaml":
            try:
                yaml.safe_load(body)
            except yaml.YAMLError as e:
                problems.append(f"yaml block {i + 1} ({other[1]}): {e}")
            continue
        path = folder / f"example-{i}.yaml"
        path.write_text(body, encoding="utf-8")
        try:
            load_settings(path, env={})
        except Exception as e:  # any refusal is the finding
            problems.append(f"yaml block {i + 1}: {e}")
    return problems


def metric_names() -> frozenset[str]:
    """Every series name refbot's ``/metrics`` can show (a counter with ``_total``, a histogram's parts)."""
    names = {name for name, _meaning, _figure in GAUGES}
    suffixes = {"counter": ("_total",), "histogram": ("", "_bucket", "_count", "_sum")}
    for family in Metrics(enabled=True, libraries=["default"]).registry.collect():
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    return frozenset(names)


METRICS = metric_names()


def metric_problems(text: str) -> list[str]:
    """Every ``refbot_…`` metric that refbot does not serve, or an outcome or reason it never records."""
    problems = []
    for name, labels in METRIC.findall(re.sub(r"\]\([^)]*\)", "]", text)):  # not inside a link's anchor
        if name not in METRICS:
            problems.append(f"{name}: refbot serves no such metric")
        for label, value in METRIC_LABEL.findall(labels):
            if label in LABEL_VALUES and value not in LABEL_VALUES[label]:
                problems.append(f'{name}{{{label}="{value}"}}: refbot records no such {label}')
    return sorted(set(problems))


def unit_problems(text: str, defined: frozenset[str]) -> list[str]:
    """Every systemd unit named ``refbot…`` that neither ``deploy/`` nor a page (``defined``) provides."""
    named = set(UNIT.findall(text))
    for _info, body in blocks(text):
        for line in command_lines(body):
            named |= _units_managed(line)
    shipped = {path.name for path in DEPLOY.iterdir()}
    return sorted(f"{unit}: no such unit in deploy/ or on these pages"
                  for unit in named if re.sub(r"@[^.]*\.", "@.", unit) not in shipped | defined)


def _units_managed(line: str) -> set[str]:
    """The ``refbot…`` units a ``systemctl`` or ``journalctl`` line names (``refbot`` is ``refbot.service``)."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        return set()
    if not {"systemctl", "journalctl"} & set(tokens):
        return set()
    return {token if token.endswith((".service", ".timer")) else f"{token}.service"
            for token in tokens if re.match(r"^refbot[\w@*-]*(\.(service|timer))?$", token)}


def units_written_out() -> frozenset[str]:
    """The units a page gives in full, in a block starting ``# /etc/systemd/system/NAME``."""
    return frozenset(m for page in PAGES for _info, body in blocks(page.read_text(encoding="utf-8"))
                     for m in UNIT_FILE.findall(body.split("\n", 1)[0]))


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


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_metric_named_is_one_refbot_serves(page: Path) -> None:
    assert metric_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_systemd_unit_named_is_shipped_or_written_out(page: Path) -> None:
    assert unit_problems(page.read_text(encoding="utf-8"), units_written_out()) == []


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
Pantau `refbot_inbox_backlog`, `refbot_draft_latency_seconds_bucket`, `refbot_antrean`, `refbot_drafts`,
`refbot_sends_total{outcome="gagal"}` dan `refbot_webhooks_refused_total{reason="bad_signature"}`.
Pasang `refbot-backup.timer` dan `refbot-cadangan.timer`.

```sh
sudo refbot index bangun katalog.mrc
sudo -u refbot REFBOT_CONFIG=/etc/refbot/config.yaml refbot serve --prot 8081
ExecStart=/opt/refbot/venv/bin/refbot index status --jsn
refbot index serve <GENERASI>
podman compose -f deploy/compose.yaml run --rm worker refbot index bulid /var/lib/refbot/ekspor/
podman compose -f deploy/compose.yaml exec -T postgres pg_dump -U refbot -Fc refbot > refbot.dump
systemctl restart refbot 'refbot-worker@*'
sudo systemctl enable --now refbot-worker@1 refbot-pekerja@1
journalctl -u refbot-katalog.service -n 30
```

```yaml
desk:
  office_hours: mon-fri 08:00-16:00
```

```yaml
# /etc/prometheus/rules/refbot.yml
groups:
  - name: refbot
    rules: [
```
"""


def test_the_checks_catch_what_an_it_officer_would_trip_over(tmp_path: Path) -> None:
    commands = command_problems(BAD_PAGE)
    assert [p.split(":")[0] for p in commands] == [
        "'sudo refbot index bangun katalog.mrc'",
        "'sudo -u refbot REFBOT_CONFIG=/etc/refbot/config.yaml refbot serve --prot 8081'",
        "'ExecStart=/opt/refbot/venv/bin/refbot index status --jsn'",
        "'podman compose -f deploy/compose.yaml run --rm worker refbot index bulid /var/lib/refbot/ekspor/'",
    ]  # the placeholder line parses; pg_dump in a container and systemctl are not refbot
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
    ]
    assert [p.split(":")[0] for p in yaml_problems(BAD_PAGE, tmp_path)] == [
        "yaml block 2", "yaml block 3 (refbot.yml)",
    ]  # the first refbot refuses; the Prometheus rules are not YAML at all
    assert metric_problems(BAD_PAGE) == [
        "refbot_antrean: refbot serves no such metric",
        "refbot_drafts: refbot serves no such metric",  # a counter is scraped as refbot_drafts_total
        'refbot_sends_total{outcome="gagal"}: refbot records no such outcome',
    ]
    assert unit_problems(BAD_PAGE, frozenset({"refbot-katalog.service"})) == [
        "refbot-cadangan.timer: no such unit in deploy/ or on these pages",
        "refbot-pekerja@1.service: no such unit in deploy/ or on these pages",
    ]
