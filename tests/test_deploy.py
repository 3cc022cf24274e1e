"""The deployment files, checked without a container engine or systemd.

Dockerfile, compose.yaml and the systemd units in config/ name commands, paths and users;
these tests check that what they name exists (subcommands in the click group, files in the
repository), that the shipped config puts the database in the image's /data volume, and
that the installed ``monitor`` console script, which the image and the units run, starts.
"""

from __future__ import annotations

import configparser
import itertools
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

from monitor.cli import cli
from monitor.config import load
from tests.conftest import ROOT

SHIPPED_CONFIG = ROOT / "config" / "monitor.toml"
UNITS = {"monitor.service": "run", "monitor-review.service": "serve"}
UNIT_CONFIG = "/etc/monitor/monitor.toml"
VENV_MONITOR = "/opt/monitor/.venv/bin/monitor"
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|clang|build-essential|python3?(\.\d+)?-dev|libc6?-dev)\b")


# --- Dockerfile -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int  # index of the FROM it follows


def read_dockerfile(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments (parser directives too) dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # Docker drops comment lines inside a continued instruction as well
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    assert not pending, "the Dockerfile ends in a continuation line"
    return instructions


DOCKERFILE = read_dockerfile(ROOT / "Dockerfile")
FINAL_STAGE = [i for i in DOCKERFILE if i.stage == DOCKERFILE[-1].stage]


def instructions(keyword: str, stage: list[Instruction] = DOCKERFILE) -> list[Instruction]:
    return [i for i in stage if i.keyword == keyword]


def exec_form(keyword: str) -> list[str]:
    """The JSON array of the final stage's last ENTRYPOINT or CMD (or HEALTHCHECK ... CMD)."""
    (*_, last) = instructions(keyword, FINAL_STAGE)
    args = last.args
    if keyword == "HEALTHCHECK":
        args = re.sub(r"^(--[\w-]+=\S+\s+)*", "", args)
        assert args.startswith("CMD "), f"HEALTHCHECK without CMD: {last.args}"
        args = args.removeprefix("CMD ").strip()
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        pytest.fail(f"{keyword} is not in exec form (a JSON array), so signals miss it: {args}")
    assert isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    return value


def env() -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in instructions("ENV", FINAL_STAGE):
        words = shlex.split(instruction.args)
        if "=" not in words[0]:  # the old form: ENV KEY value with spaces
            values[words[0]] = instruction.args.partition(" ")[2].strip()
            continue
        for word in words:
            key, _, value = word.partition("=")
            values[key] = value
    return values


def copies(stage: list[Instruction] = DOCKERFILE) -> list[tuple[list[str], str, dict[str, str]]]:
    """(sources, destination, flags) of every COPY and ADD."""
    found = []
    for instruction in stage:
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        words = (
            json.loads(instruction.args)
            if instruction.args.startswith("[")
            else shlex.split(instruction.args)
        )
        flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
        paths = [w for w in words if not w.startswith("--")]
        found.append((paths[:-1], paths[-1], flags))
    return found


def monitor_args(words: list[str]) -> tuple[click.Context, str, list[str]]:
    """Check `[--global options] SUBCOMMAND [args]` with click, without running anything.

    Returns the group's context (its params hold --config), the subcommand and its args.
    """
    index = next((n for n, word in enumerate(words) if word in cli.commands), None)
    if index is None:
        pytest.fail(f"no monitor subcommand in {words}; the commands are {sorted(cli.commands)}")
    name, rest = words[index], words[index + 1 :]
    with cli.make_context("monitor", [*words[:index], name]) as group:
        pass
    command = cli.commands[name]
    with command.make_context(name, list(rest), parent=group):
        pass  # parses and validates every option and argument, calls nothing
    return group, name, rest


def test_every_stage_is_the_pinned_slim_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    oldest = project["requires-python"].removeprefix(">=")
    stages = instructions("FROM")
    assert len(stages) >= 2, "multi-stage: wheels are built in a stage of their own"
    for stage in stages:
        image = stage.args.split()[0]
        assert re.fullmatch(r"python:\d+\.\d+-slim", image), image
        assert image == f"python:{oldest}-slim", (image, project["requires-python"])


def test_the_build_stage_builds_wheels_and_the_final_stage_installs_only_those() -> None:
    build = [i for i in DOCKERFILE if i.stage < FINAL_STAGE[0].stage]
    assert any("pip wheel" in i.args for i in instructions("RUN", build))
    installs = [i.args for i in instructions("RUN", FINAL_STAGE) if "pip install" in i.args]
    assert installs, "the final stage installs the wheels"
    for args in installs:
        assert "--no-index" in args, f"the final stage fetches nothing from an index: {args}"


BUILD_STAGES = [i for i in DOCKERFILE if i.stage < FINAL_STAGE[0].stage]


def test_the_dependencies_are_built_before_the_code_arrives() -> None:
    """pyproject.toml alone comes in before the first `pip wheel`, so that a change to the code
    or the README reuses that layer; monitor's own wheel is then built without an index."""
    wheels = [n for n, i in enumerate(BUILD_STAGES) if i.keyword == "RUN" and "pip wheel" in i.args]
    assert len(wheels) == 2, [BUILD_STAGES[n].args for n in wheels]
    first, second = wheels
    assert [s for sources, _, _ in copies(BUILD_STAGES[:first]) for s in sources] == [
        "pyproject.toml"
    ]
    assert "monitor" in [s for sources, _, _ in copies(BUILD_STAGES[first:second]) for s in sources]
    for flag in ("--no-index", "--find-links=/wheels", "--no-deps"):
        assert flag in BUILD_STAGES[second].args, flag


def test_a_changed_wheel_is_installed_again_not_taken_from_the_cache() -> None:
    """The install step mounts the wheels, which a builder's cache does not see; the
    wheels' digests are copied in first, so a new wheel changes that layer's key."""
    install = next(n for n, i in enumerate(FINAL_STAGE) if "pip install" in i.args)
    before = [sources for sources, _, flags in copies(FINAL_STAGE[:install])]
    assert ["/wheels.sha256"] in before, before
    assert any("sha256sum /wheels/*.whl > /wheels.sha256" in i.args for i in BUILD_STAGES)


def test_the_first_wheel_step_asks_for_what_pyproject_lists() -> None:
    """The Python that lists the requirements, run here on the repository's pyproject.toml."""
    (run,) = [i.args for i in BUILD_STAGES if "pip wheel" in i.args and "-r " in i.args]
    code = re.search(r"python -c '([^']+)'", run)
    assert code, run
    listed = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert listed == [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]


def test_pips_ca_bundle_is_a_build_secret_that_no_layer_keeps() -> None:
    (run,) = [i.args for i in BUILD_STAGES if "pip wheel" in i.args and "--no-index" not in i.args]
    assert "--mount=type=secret,id=pip_cert " in run
    assert "export PIP_CERT=/run/secrets/pip_cert" in run
    for instruction in DOCKERFILE:
        if instruction.keyword in ("ENV", "ARG"):
            assert not re.search(r"PIP_CERT|CA_BUNDLE|SSL_CERT", instruction.args), instruction
    for sources, _destination, _flags in copies():
        assert not any(s.endswith((".crt", ".pem")) for s in sources), sources
    assert '--secret "id=pip_cert,src=$ca"' in CI_CONTAINER


def test_the_final_stage_has_no_compilers() -> None:
    for instruction in FINAL_STAGE:
        assert not COMPILERS.search(instruction.args), instruction
        if instruction.keyword == "RUN":
            assert "apt-get install" not in instruction.args, instruction


def test_every_copy_source_is_in_the_repository() -> None:
    stage_names = {i.args.split()[-1] for i in instructions("FROM") if " as " in i.args.lower()}
    for sources, _destination, flags in copies():
        if "from" in flags:
            assert flags["from"] in stage_names, flags
            continue
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    for run in instructions("RUN"):
        for mount in re.findall(r"--mount=(\S+)", run.args):
            options = dict(part.partition("=")[::2] for part in mount.split(","))
            if "from" in options:
                assert options["from"] in stage_names, mount


def test_entrypoint_and_command_are_the_console_script_and_a_subcommand() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert exec_form("ENTRYPOINT") == ["monitor"]
    assert scripts["monitor"] == "monitor.cli:main"
    _group, name, _rest = monitor_args(exec_form("CMD"))
    assert name == "run"
    assert instructions("STOPSIGNAL", FINAL_STAGE)[-1].args == "SIGTERM"


def test_the_healthcheck_runs_monitor_health() -> None:
    command = exec_form("HEALTHCHECK")
    assert command[0] == "monitor"
    assert "health" in cli.commands, "`monitor health` is what the image's HEALTHCHECK runs"
    _group, name, _rest = monitor_args(command[1:])
    assert name == "health"


def test_the_healthcheck_has_sensible_timing() -> None:
    (*_, check) = instructions("HEALTHCHECK", FINAL_STAGE)
    options = dict(re.findall(r"--([\w-]+)=(\S+)", check.args))
    seconds = {k: _seconds(v) for k, v in options.items() if k != "retries"}
    assert {"interval", "timeout", "start-period"} <= seconds.keys(), options
    assert 0 < seconds["timeout"] < seconds["interval"] <= 300
    assert seconds["start-period"] >= 30


def _seconds(text: str) -> int:
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    assert parts and any(parts.groups()), text
    hours, minutes, secs = (int(p or 0) for p in parts.groups())
    return hours * 3600 + minutes * 60 + secs


def image_user() -> tuple[str, str]:
    """The name and uid of the user created in the final stage with useradd."""
    runs = " && ".join(i.args for i in instructions("RUN", FINAL_STAGE))
    commands = [c.split() for c in re.split(r"&&|;", runs) if c.split()[:1] == ["useradd"]]
    assert len(commands) == 1, f"one useradd in the final stage: {runs}"
    words = commands[0]
    uid = next(
        w.partition("=")[2] or words[n + 1]
        for n, w in enumerate(words)
        if w.startswith(("--uid", "-u"))
    )
    return words[-1], uid


def test_it_runs_as_a_fixed_unprivileged_user() -> None:
    name, uid = image_user()
    assert uid == "10001"
    user = instructions("USER", FINAL_STAGE)[-1].args.split(":")[0]
    assert user in (name, uid)
    assert user not in ("root", "0")


def test_the_data_volume_belongs_to_that_user() -> None:
    name, uid = image_user()
    volume_at = next(n for n, i in enumerate(FINAL_STAGE) if i.keyword == "VOLUME")
    volumes = json.loads(FINAL_STAGE[volume_at].args)
    assert "/data" in volumes
    # A new named volume takes the folder's owner from the image: chown before VOLUME.
    before = " ".join(i.args for i in FINAL_STAGE[:volume_at] if i.keyword == "RUN")
    owner = rf"({name}|{uid})"
    assert re.search(rf"chown {owner}(:{owner})? /data\b", before), before


def test_environment() -> None:
    values = env()
    assert values["PYTHONUNBUFFERED"] == "1"
    assert values["MONITOR_CONFIG"] == "/config/monitor.toml"


def image_to_repo(image_path: str) -> Path:
    """Where a file of the image comes from in the repository, by the final stage's COPYs."""
    for sources, destination, flags in copies(FINAL_STAGE):
        if "from" in flags or len(sources) != 1:
            continue
        prefix = destination.rstrip("/")
        if image_path == prefix or image_path.startswith(prefix + "/"):
            return ROOT / sources[0] / image_path[len(prefix) :].lstrip("/")
    pytest.fail(f"{image_path} is copied from nowhere in the repository")


def test_monitor_config_names_the_shipped_config() -> None:
    assert image_to_repo(env()["MONITOR_CONFIG"]) == SHIPPED_CONFIG
    assert SHIPPED_CONFIG.is_file()


def test_the_database_is_in_the_data_volume() -> None:
    """The shipped database path, relative to the config's folder, lands in /data.

    In the repository the config is config/monitor.toml and the database data/monitor.db,
    the sibling of the config folder named data; in the image the config is
    /config/monitor.toml, so the same line means /data/monitor.db, inside the volume.
    """
    config = load(SHIPPED_CONFIG)
    assert config.database == ROOT / "data" / "monitor.db"
    assert config.database.parent == SHIPPED_CONFIG.parent.parent / "data"
    assert config["email.maildir"] is None  # so the Maildir goes beside the database

    raw = tomllib.loads(SHIPPED_CONFIG.read_text(encoding="utf-8"))["database"]
    config_dir = posixpath.dirname(env()["MONITOR_CONFIG"])
    in_image = posixpath.normpath(posixpath.join(config_dir, raw))
    assert in_image == "/data/monitor.db"
    volumes = json.loads(instructions("VOLUME", FINAL_STAGE)[-1].args)
    assert posixpath.dirname(in_image) in volumes


def test_the_review_port_is_exposed() -> None:
    exposed = {p.split("/")[0] for i in instructions("EXPOSE", FINAL_STAGE) for p in i.args.split()}
    assert "8080" in exposed


# --- compose.yaml ---------------------------------------------------------------------------


def read_yaml_subset(text: str) -> Any:
    """The YAML that compose.yaml is written in, for when PyYAML is not installed.

    Block mappings and lists, flow lists written as JSON, plain, quoted and empty scalars,
    comments. Anything else raises ValueError rather than being guessed at.
    """
    lines: list[tuple[int, str]] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                raise ValueError(f"tab in indentation: {raw!r}")
            lines.append((len(raw) - len(raw.lstrip(" ")), stripped))

    def scalar(word: str) -> Any:
        if word.startswith(("[", '"')):
            return json.loads(word)
        if word.startswith("'"):
            if not word.endswith("'"):
                raise ValueError(f"unsupported: {word!r}")
            return word[1:-1].replace("''", "'")
        if word.startswith(("{", "&", "*", "!", "|", ">")):
            raise ValueError(f"unsupported: {word!r}")
        word = re.sub(r"\s+#.*$", "", word)
        if word in ("true", "false"):
            return word == "true"
        if word in ("null", "~", ""):
            return None
        return int(word) if re.fullmatch(r"-?[1-9]\d*|0", word) else word

    def block(i: int, indent: int) -> tuple[Any, int]:
        if lines[i][1].startswith("- "):
            items = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                item = lines[i][1][2:].strip()
                if re.match(r"^[\w.-]+:(\s|$)", item):
                    raise ValueError(f"unsupported: a mapping in a list: {item!r}")
                items.append(scalar(item))
                i += 1
            return items, i
        mapping: dict[str, Any] = {}
        while i < len(lines) and lines[i][0] == indent:
            match = re.fullmatch(r"([\w.-]+):(?:\s+(.*))?", lines[i][1])
            if not match:
                raise ValueError(f"unsupported line: {lines[i][1]!r}")
            key, rest = match.group(1), (match.group(2) or "").strip()
            i += 1
            if key in mapping:
                raise ValueError(f"duplicate key: {key}")
            if rest and not rest.startswith("#"):
                mapping[key] = scalar(rest)
            elif i < len(lines) and lines[i][0] > indent:
                mapping[key], i = block(i, lines[i][0])
            elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                mapping[key], i = block(i, indent)
            else:
                mapping[key] = None
        return mapping, i

    value, end = block(0, lines[0][0]) if lines else (None, 0)
    if end != len(lines):
        raise ValueError(f"unexpected indentation: {lines[end][1]!r}")
    return value


COMPOSE_TEXT = (ROOT / "compose.yaml").read_text(encoding="utf-8")


def read_compose() -> dict[str, Any]:
    try:
        import yaml
    except ImportError:
        compose = read_yaml_subset(COMPOSE_TEXT)
    else:
        compose = yaml.safe_load(COMPOSE_TEXT)
    assert isinstance(compose, dict)
    return compose


COMPOSE = read_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def test_the_fallback_reader_agrees_with_pyyaml() -> None:
    yaml = pytest.importorskip("yaml")
    assert read_yaml_subset(COMPOSE_TEXT) == yaml.safe_load(COMPOSE_TEXT)


def test_the_fallback_reader_refuses_what_it_does_not_know() -> None:
    for text in ("a: {b: 1}\n", "a: &x 1\n", "a:\n  - b: 1\n", "a: |\n  text\n"):
        with pytest.raises(ValueError):
            read_yaml_subset(text)


def test_the_services() -> None:
    assert set(SERVICES) == {"monitor", "review"}
    assert "monitor-data" in COMPOSE["volumes"]
    for name, service in SERVICES.items():
        assert service["build"] == ".", name
        assert "monitor-data:/data" in service["volumes"], name
        assert service["restart"] == "unless-stopped", name
    assert SERVICES["monitor"]["image"] == SERVICES["review"]["image"]
    assert "profiles" not in SERVICES["monitor"]
    assert SERVICES["review"]["profiles"] == ["review"]


@pytest.mark.parametrize("name", ["monitor", "review"])
def test_each_service_runs_a_monitor_subcommand(name: str) -> None:
    command = SERVICES[name]["command"]
    assert isinstance(command, list), "exec form: a list, not a shell string"
    _group, subcommand, rest = monitor_args(command)
    assert subcommand == {"monitor": "run", "review": "serve"}[name]
    if name == "review":
        with cli.commands["serve"].make_context("serve", list(rest)) as ctx:
            assert ctx.params["host"] == "0.0.0.0"  # inside the container; see the ports
            assert [f"127.0.0.1:{ctx.params['port']}:{ctx.params['port']}"] == SERVICES["review"][
                "ports"
            ]


def test_ports_are_published_on_loopback_only() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_secrets_are_passed_through_not_written_down() -> None:
    environment = SERVICES["monitor"]["environment"]
    assert "MONITOR_SMTP_PASSWORD" in environment  # the list form without a value
    for name, service in SERVICES.items():
        entries = service.get("environment", [])
        if isinstance(entries, dict):
            entries = [f"{k}={v}" if v is not None else k for k, v in entries.items()]
        for entry in entries:
            key, sep, value = entry.partition("=")
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert not sep or value.startswith("${"), (name, entry)


def test_a_config_folder_of_ones_own_is_shown_mounted_at_config() -> None:
    assert re.search(r"^\s*#\s*- \./config:/config(:ro)?\s*$", COMPOSE_TEXT, re.MULTILINE)


# --- .ci/container: the image built and run as compose.yaml runs it -------------------------

CI_CONTAINER = (ROOT / ".ci" / "container").read_text(encoding="utf-8")


def ci_variable(name: str) -> str:
    """A variable's value (or its default, for NAME=${NAME:-default}) in .ci/container."""
    found = re.search(rf"^{name}=(?:\$\{{{name}:-)?([^\s}}]+)", CI_CONTAINER, re.MULTILINE)
    assert found, f"{name}= is not set in .ci/container"
    return found.group(1)


def test_the_smoke_test_is_bash_that_stops_at_the_first_error() -> None:
    assert CI_CONTAINER.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in CI_CONTAINER
    done = subprocess.run(
        ["bash", "-n", str(ROOT / ".ci" / "container")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    podman = tomllib.loads((ROOT / ".ci" / "containers.conf").read_text(encoding="utf-8"))
    assert podman["engine"]["runtime"] == "runc"
    assert podman["containers"]["default_ulimits"] == []
    assert ci_variable("export CONTAINERS_CONF") == '"$PWD/.ci/containers.conf"'


def test_the_smoke_test_runs_what_compose_runs() -> None:
    daemon, review = SERVICES["monitor"], SERVICES["review"]
    assert ci_variable("IMAGE") == daemon["image"]
    assert f"{ci_variable('GRACE')}s" == daemon["stop_grace_period"]
    assert '--stop-timeout "$GRACE"' in CI_CONTAINER
    *serve, port = review["command"]
    assert ci_variable("REVIEW_PORT") == port
    assert f'{" ".join(serve)} "$REVIEW_PORT"' in CI_CONTAINER
    check = re.search(r'^page_check="([^"]+)"$', CI_CONTAINER, re.MULTILINE)
    assert check, "page_check= is not set in .ci/container"
    assert '--health-cmd "[\\"python\\", \\"-c\\", \\"$page_check\\"]"' in CI_CONTAINER
    assert review["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-c",
        check.group(1).replace("$REVIEW_PORT", port),
    ]
    for name, service in SERVICES.items():
        flags = {
            "--read-only": service["read_only"] is True,
            "--tmpfs /tmp": service["tmpfs"] == ["/tmp"],
            "--cap-drop ALL": service["cap_drop"] == ["ALL"],
            "--security-opt no-new-privileges": service["security_opt"]
            == ["no-new-privileges:true"],
            '--volume "$volume:/data"': "monitor-data:/data" in service["volumes"],
            "--init": service["init"] is True,
        }
        for flag, in_compose in flags.items():
            assert in_compose, (name, flag)
            assert flag in CI_CONTAINER, flag


def test_the_smoke_test_feeds_are_fixtures() -> None:
    served = re.findall(r'url = "http://127\.0\.0\.1:\$feeds_port/([\w.]+)"', CI_CONTAINER)
    assert len(served) == 2, served
    for name in served:
        assert (ROOT / "tests" / "feeds" / name).is_file(), name
    headline = re.search(r"grep -q '([^']+)' \"\$work/page.html\"", CI_CONTAINER)
    assert headline, "the smoke test looks for a hit on the review page"
    assert headline.group(1) in (ROOT / "tests" / "feeds" / served[0]).read_text(encoding="utf-8")


# --- systemd units --------------------------------------------------------------------------


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> every value, in order: systemd allows a key to repeat
    (Environment=, SystemCallFilter= ...), so optionxform makes each occurrence unique."""
    counter = itertools.count()
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#", ";")
    )
    parser.optionxform = lambda name: f"{name}\0{next(counter)}"
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    unit: dict[str, dict[str, list[str]]] = {}
    for section in parser.sections():
        keys = unit.setdefault(section, {})
        for name, value in parser.items(section):
            keys.setdefault(name.split("\0")[0], []).append(value)
    return unit


def one(service: dict[str, list[str]], key: str) -> str:
    assert key in service, f"{key}= missing"
    values = service[key]
    assert len(values) == 1, f"{key}= set {len(values)} times"
    return values[0]


def environment(service: dict[str, list[str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in service.get("Environment", []):
        for word in shlex.split(line):
            key, _, value = word.partition("=")
            values[key] = value
    return values


HARDENING = {
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
}


def test_the_unit_reader_keeps_repeated_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.service"
    path.write_text(
        "[Service]\nEnvironment=A=1\nEnvironment=B=%h\nExecStart=x\nCapabilityBoundingSet=\n"
    )
    service = read_unit(path)["Service"]
    assert service["Environment"] == ["A=1", "B=%h"]
    assert service["CapabilityBoundingSet"] == [""]
    assert environment(service) == {"A": "1", "B": "%h"}


@pytest.mark.parametrize("unit_name", sorted(UNITS))
def test_the_unit(unit_name: str) -> None:
    unit = read_unit(ROOT / "config" / unit_name)
    service = unit["Service"]
    assert one(service, "Type") == "simple"
    assert one(service, "Restart") == "on-failure"
    assert one(service, "RestartSec") == "10"
    assert one(service, "KillSignal") == "SIGTERM"
    assert one(service, "TimeoutStopSec") == "60"
    assert one(service, "StateDirectory") == "monitor"
    assert one(service, "EnvironmentFile") == "-/etc/monitor/secrets.env"
    assert service.get("DynamicUser") == ["yes"] or one(service, "User") not in ("root", "0")
    for key, value in HARDENING.items():
        assert one(service, key) == value, key
    families = one(service, "RestrictAddressFamilies").split()
    assert sorted(families) == ["AF_INET", "AF_INET6", "AF_UNIX"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize(("unit_name", "subcommand"), sorted(UNITS.items()))
def test_the_unit_starts_a_monitor_subcommand_on_one_config(
    unit_name: str, subcommand: str
) -> None:
    service = read_unit(ROOT / "config" / unit_name)["Service"]
    words = shlex.split(one(service, "ExecStart"))
    assert words[0] == VENV_MONITOR
    group, name, rest = monitor_args(words[1:])
    assert name == subcommand
    # --config and MONITOR_CONFIG name the same file, so nothing depends on which one wins.
    assert str(group.params["config_path"]) == UNIT_CONFIG
    assert environment(service)["MONITOR_CONFIG"] == UNIT_CONFIG
    if name == "serve":
        with cli.commands["serve"].make_context("serve", list(rest)) as ctx:
            assert ctx.params["host"] == "127.0.0.1"  # a reverse proxy goes in front


def test_the_review_unit_follows_the_daemon_as_the_same_user() -> None:
    daemon = read_unit(ROOT / "config" / "monitor.service")
    review = read_unit(ROOT / "config" / "monitor-review.service")
    assert "monitor.service" in " ".join(review["Unit"]["After"]).split()
    for key in ("User", "DynamicUser", "StateDirectory", "EnvironmentFile"):
        assert daemon["Service"].get(key) == review["Service"].get(key), key


@pytest.mark.parametrize("unit_name", sorted(UNITS))
def test_the_unit_says_how_to_install_it_with_an_absolute_database(unit_name: str) -> None:
    text = (ROOT / "config" / unit_name).read_text(encoding="utf-8")
    head = text[: text.index("[Unit]")]
    assert f"cp config/{unit_name} /etc/systemd/system/" in head
    assert 'database = "/var/lib/monitor/monitor.db"' in head
    # The shipped relative path would leave the state directory (and be read-only there):
    raw = tomllib.loads(SHIPPED_CONFIG.read_text(encoding="utf-8"))["database"]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(UNIT_CONFIG), raw))
    assert not resolved.startswith("/var/lib/monitor/")


def test_an_absolute_database_path_is_used_as_it_is(tmp_path: Path) -> None:
    state = tmp_path / "var" / "lib" / "monitor"
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'^database = ".*"$', f'database = "{state}/monitor.db"', text, flags=re.M)
    text = re.sub(
        r'^watches_dir = ".*"$',
        f'watches_dir = "{ROOT / "config" / "watches"}"',
        text,
        flags=re.M,
    )
    etc = tmp_path / "etc" / "monitor"
    etc.mkdir(parents=True)
    (etc / "monitor.toml").write_text(text, encoding="utf-8")
    assert load(etc / "monitor.toml").database == state / "monitor.db"


# --- the installed console script -----------------------------------------------------------


def installed_monitor() -> Path:
    """The `monitor` script of the environment running the tests, which is what the image
    and the units run; PATH is only the last resort."""
    for candidate in (
        Path(sysconfig.get_path("scripts")) / "monitor",
        Path(sys.executable).parent / "monitor",
    ):
        if candidate.is_file():
            return candidate
    found = shutil.which("monitor")
    if found is None:
        pytest.fail("the monitor console script is not installed: pip install -e .")
    return Path(found)


def run_monitor(*args: str, cwd: Path = ROOT, **extra_env: str) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k != "MONITOR_CONFIG"}
    child_env.update(extra_env)
    return subprocess.run(
        [str(installed_monitor()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=child_env,
        check=False,
    )


def test_the_console_script_shows_its_help() -> None:
    done = run_monitor("--help")
    assert done.returncode == 0, done.stderr
    for name in ("run", "serve", "check-config"):
        assert name in done.stdout


def test_the_console_script_checks_the_shipped_config() -> None:
    done = run_monitor("--config", str(SHIPPED_CONFIG), "check-config")
    assert done.returncode == 0, done.stderr
    assert f"database {ROOT / 'data' / 'monitor.db'}" in done.stdout


def test_monitor_config_works_from_any_folder(tmp_path: Path) -> None:
    """As in the image and the units: the config from the environment, paths from its folder."""
    done = run_monitor("check-config", cwd=tmp_path, MONITOR_CONFIG=str(SHIPPED_CONFIG))
    assert done.returncode == 0, done.stderr
    assert f"database {ROOT / 'data' / 'monitor.db'}" in done.stdout


def test_every_file_the_package_reads_is_in_its_package_data() -> None:
    """An editable install reads the source tree, so a file left out of package-data is
    missed only by a built wheel (the container): the review page's scripts once were."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = setup["tool"]["setuptools"]["package-data"]
    for package, patterns in data.items():
        folder = ROOT.joinpath(*package.split("."))
        files = {p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".py"}
        covered = {name for name in files for glob in patterns if Path(name).match(glob)}
        assert files == covered, f"{package}: {sorted(files - covered)} not in package-data"
    for folder in (ROOT / "monitor").rglob("*"):
        if folder.is_dir() and "__pycache__" not in folder.parts:
            has_data = any(p.is_file() and p.suffix != ".py" for p in folder.iterdir())
            package = ".".join(folder.relative_to(ROOT).parts)
            assert not has_data or package in data, f"{package} holds data files"
