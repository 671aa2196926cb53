"""The deploy files (Dockerfile, compose, systemd unit, lock, dashboard) work as shipped.

No Docker engine runs here: these tests read the files as Docker, compose and systemd would
and check the facts that a broken deployment came from. `systemd-analyze verify` runs where
it is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.foundation.config import load_config

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"


def stop_timeout_to_outlast() -> float:
    """The longest clean stop newsbot may take as shipped: the default or .env.example's."""
    example = docker_env_file(ROOT / ".env.example")
    return max(load_config({}).stop_timeout, load_config(example).stop_timeout)


def docker_env_file(path: Path) -> dict[str, str]:
    """Read an env file the way `docker run --env-file` does: `NAME=value` taken literally."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def dockerfile(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_instructions() if kw == keyword]


DEPLOY_PAGES = ["hosting.md", "backup.md", "upgrade.md"]


def compose_service() -> dict[str, Any]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    service: dict[str, Any] = compose["services"]["newsbot"]
    return service


def compose_mounts() -> list[tuple[str, str]]:
    """(container path, source) of each compose volume; a source may hold `${VAR:-x}`."""
    mounts = []
    for volume in compose_service()["volumes"]:
        found = re.fullmatch(r"(.+?):(/[^:]*)(?::(?:ro|rw))?", volume)
        assert found, volume
        mounts.append((found[2], found[1]))
    return mounts


def seconds(duration: str) -> float:
    """A compose duration such as `30s` or `1m30s` in seconds."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", duration)
    assert parts and duration, f"not a duration: {duration!r}"
    return int(parts[1] or 0) * 60 + float(parts[2] or 0)


def unit_settings() -> dict[str, str]:
    """`Key=value` lines of the systemd unit (each key appears once in ours)."""
    settings = {}
    for line in (DEPLOY / "newsbot.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            assert key not in settings, f"{key} set twice"
            settings[key] = value
    return settings


def test_compose_takes_every_setting_from_the_env_file() -> None:
    """Compose lets `environment:` override `env_file:`, so it must not name any setting."""
    service = compose_service()
    # a missing .env is no error: every setting at its default
    assert service["env_file"] == [{"path": "../.env", "required": False}]
    settings = set(docker_env_file(ROOT / ".env.example"))
    overridden = settings & set(service.get("environment") or {})
    assert not overridden, f"compose environment: overrides .env for {sorted(overridden)}"
    assert "NEWSBOT_WATCHER" in settings


def test_compose_waits_longer_than_newsbot_takes_to_stop() -> None:
    """stop_grace_period outlasts NEWSBOT_STOP_TIMEOUT, so sends in flight are not killed."""
    assert seconds(compose_service()["stop_grace_period"]) > stop_timeout_to_outlast()


def test_docker_run_in_the_docs_waits_longer_than_newsbot_takes_to_stop() -> None:
    """docker run waits 10 s before SIGKILL unless told: the hosting page tells it more."""
    page = (ROOT / "docs" / "operators" / "hosting.md").read_text()
    commands = [line for line in page.splitlines() if line.startswith("docker run")]
    assert commands, "the hosting page shows no docker run command"
    for command in commands:
        found = re.search(r"--stop-timeout[ =](\d+)", command)
        assert found, f"no --stop-timeout in: {command}"
        assert int(found[1]) > stop_timeout_to_outlast()


def test_the_healthcheck_probes_the_port_that_is_exposed_and_published() -> None:
    """One port everywhere: HEALTHCHECK, EXPOSE, the entrypoint's default, compose's ports."""
    (healthcheck,) = dockerfile("HEALTHCHECK")
    probed = re.search(r"NEWSBOT_METRICS_PORT'\) or '(\d+)'", healthcheck)
    assert probed, healthcheck
    port = probed[1]
    assert dockerfile("EXPOSE") == [port]
    entrypoint = (DEPLOY / "docker-entrypoint.sh").read_text()
    assert f'NEWSBOT_METRICS_PORT="${{NEWSBOT_METRICS_PORT:-{port}}}"' in entrypoint
    # the port newsbot listens on, published on the host's loopback: both follow the setting
    follows = f"${{NEWSBOT_METRICS_PORT:-{port}}}"
    assert compose_service()["ports"] == [f"127.0.0.1:{follows}:{follows}"]
    assert "healthcheck" not in compose_service(), "compose would replace the image's check"


def test_the_relative_default_paths_land_in_the_data_volume() -> None:
    """A blank or `./` path from .env.example resolves under /data, which is a volume."""
    assert not any(
        "NEWSBOT_DB" in env or "NEWSBOT_ARTICLES_DIR" in env for env in dockerfile("ENV")
    )
    workdir = PurePosixPath(dockerfile("WORKDIR")[-1])
    assert json.loads(dockerfile("VOLUME")[0]) == [str(workdir)]
    for environ in ({}, docker_env_file(ROOT / ".env.example")):
        config = load_config(environ)
        assert not config.db_path.is_absolute() and not config.articles_dir.is_absolute()
        assert (workdir / config.db_path.as_posix()).parent == workdir
    mounts = dict(compose_mounts())
    assert mounts[str(workdir)] == "newsbot-data"
    default_articles = workdir / load_config({}).articles_dir.as_posix()
    assert str(default_articles) in mounts


def test_the_container_serves_health_with_an_env_file_copied_from_the_example(
    tmp_path: Path,
) -> None:
    """The image's entrypoint and newsbot's own settings code, given .env.example as docker
    would pass it: the health endpoint is on, on every address, and paths stay relative."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_newsbot = bin_dir / "newsbot"
    fake_newsbot.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "from bot.foundation.config import load_config\n"
        "config = load_config(os.environ)\n"
        "print(json.dumps({'args': sys.argv[1:], 'port': config.metrics_port,\n"
        "    'host': config.metrics_host, 'db': str(config.db_path)}))\n"
    )
    fake_newsbot.chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(ROOT)}

    def start(environ: dict[str, str]) -> dict[str, Any]:
        done = subprocess.run(
            ["sh", str(DEPLOY / "docker-entrypoint.sh"), "run"],
            env=base | environ,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    example = start(docker_env_file(ROOT / ".env.example"))
    assert example == {"args": ["run"], "port": 9090, "host": "0.0.0.0", "db": "newsbot.db"}
    unset = start({})
    assert (unset["port"], unset["host"]) == (9090, "0.0.0.0")
    chosen = start({"NEWSBOT_METRICS_PORT": "9100", "NEWSBOT_METRICS_HOST": "127.0.0.1"})
    assert (chosen["port"], chosen["host"]) == (9100, "127.0.0.1")


def test_dockerfile_installs_from_the_hashed_lock_then_newsbot_without_dependencies() -> None:
    """Every dependency comes from requirements.lock, hash-checked; newsbot resolves none."""
    runs = dockerfile("RUN")
    locked = [
        i for i, run in enumerate(runs) if "pip install" in run and "requirements.lock" in run
    ]
    assert locked, "no RUN installs requirements.lock"
    assert "--require-hashes" in shlex.split(runs[locked[0]])
    project = [i for i, run in enumerate(runs) if "pip install" in run and " . " in f"{run} "]
    assert project and project[0] > locked[0]
    assert "--no-deps" in shlex.split(runs[project[0]])
    assert any("requirements.lock" in copy.split() for copy in dockerfile("COPY"))


def test_lock_pins_every_runtime_dependency_with_hashes() -> None:
    """requirements.lock matches pyproject.toml: every dependency pinned, hashed, in range."""
    text = (ROOT / "requirements.lock").read_text()
    entries = re.findall(
        r"^([A-Za-z0-9._-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", text, re.M
    )
    pinned = {canonicalize_name(name): version for name, version, _ in entries}
    requirements = re.findall(r"^[A-Za-z0-9._-]+==", text, re.M)
    assert len(entries) == len(requirements), "a pin without a sha256 hash"
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in dependencies:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in requirements.lock: recompile it"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements.lock pins {name}=={pinned[name]}, outside {requirement.specifier}"
        )


def test_base_image_is_pinned_to_an_exact_version_and_digest() -> None:
    """A rebuild starts from the same base image bytes."""
    (image,) = dockerfile("FROM")
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+@sha256:[0-9a-f]{64}", image), image


def test_unit_restarts_after_unexpected_exits_but_not_after_permanent_ones() -> None:
    """Exit 2 (bad settings, token refused) and 3 (another newsbot runs on the database)
    stay down; exit 1 (a crash, the database's write lock held too long) restarts."""
    unit = unit_settings()
    assert unit["Restart"] == "on-failure"
    assert unit["RestartPreventExitStatus"].split() == ["2", "3"]
    assert float(unit["TimeoutStopSec"]) > stop_timeout_to_outlast()
    assert unit["KillSignal"] == "SIGTERM"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed here (Debian: apt-get install systemd)",
)
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """The unit as shipped, with ExecStart pointed at a stand-in: verify checks that the
    program exists, and /opt/newsbot is not installed on a test machine."""
    program = tmp_path / "newsbot"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    text = (DEPLOY / "newsbot.service").read_text()
    assert "ExecStart=/opt/newsbot/venv/bin/newsbot " in text
    unit = tmp_path / "newsbot.service"
    unit.write_text(text.replace("/opt/newsbot/venv/bin/newsbot", str(program)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"SYSTEMD_LOG_COLOR": "0"},
    )
    # warnings such as "Unknown key" leave the exit code at 0: any output is a finding
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.skipif(
    shutil.which("shellcheck") is None,
    reason="shellcheck is not installed here (Debian: apt-get install shellcheck)",
)
def test_shellcheck_finds_nothing_in_the_image_entrypoint() -> None:
    """The entrypoint is POSIX sh (the image's /bin/sh is dash) that shellcheck passes."""
    done = subprocess.run(
        ["shellcheck", "--shell=sh", str(DEPLOY / "docker-entrypoint.sh")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def metric_sample_names() -> dict[str, set[str]]:
    """Each metric family newsbot exports, with the sample names Prometheus scrapes."""
    module = (
        "bot.foundation.metrics"
        if importlib.util.find_spec("bot.foundation.metrics")
        else "bot.foundation.health"
    )
    metrics = importlib.import_module(module).Metrics()
    suffixes = {
        "counter": ("_total",),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum"),
        "summary": ("_count", "_sum", ""),
    }
    families = {}
    for family in metrics.registry.collect():
        assert family.type in suffixes, f"teach this test the {family.type} type"
        families[family.name] = {family.name + suffix for suffix in suffixes[family.type]}
    assert families
    return families


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return loaded


def dashboard_queries(board: dict[str, Any]) -> list[str]:
    queries = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    queries += [variable["definition"] for variable in board["templating"]["list"]]
    return queries


def test_grafana_dashboard_charts_every_metric_and_only_real_ones() -> None:
    """Each metric family in Metrics has a panel; no query names a series newsbot lacks."""
    families = metric_sample_names()
    samples = set().union(*families.values())
    used = {
        name
        for query in dashboard_queries(dashboard())
        for name in re.findall(r"\bnewsbot_\w+", query)
    }
    assert used <= samples, f"not exported by Metrics: {sorted(used - samples)}"
    uncharted = [family for family, names in families.items() if not names & used]
    assert not uncharted, f"no panel for {uncharted}"


def test_grafana_dashboard_is_importable_with_a_prometheus_datasource() -> None:
    """Import asks for a Prometheus datasource, and every panel and query uses it."""
    board = dashboard()
    (source,) = board["__inputs"]
    assert (source["type"], source["pluginId"]) == ("datasource", "prometheus")
    wanted = {"type": "prometheus", "uid": "${" + source["name"] + "}"}
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"] == wanted, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(target["datasource"] == wanted for target in panel["targets"])


def test_the_build_asks_for_a_setuptools_that_reads_the_license_expression() -> None:
    """`license = "MIT"` (PEP 639) is read from setuptools 77 on; an older one fails the build."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert project["build-system"]["requires"] == ["setuptools>=77"]


def test_the_docs_run_compose_with_the_env_file_that_sets_its_published_port() -> None:
    """Compose reads a .env beside the compose file for `${...}`, not ours: every compose
    command of the docs names it, so that the published port follows NEWSBOT_METRICS_PORT."""
    pages = [(ROOT / "docs" / "operators" / name).read_text() for name in DEPLOY_PAGES]
    commands = [line for page in pages for line in page.splitlines() if "docker compose" in line]
    assert commands
    for command in commands:
        assert "docker compose --env-file .env -f deploy/compose.yaml" in command, command


def test_the_systemd_steps_work_for_any_python_and_for_the_service_user() -> None:
    """No pinned python3.X in the steps; each command run as the newsbot user starts from /,
    where no .env is: one in the folder it is typed in may be one that user cannot read."""
    for name in DEPLOY_PAGES:
        page = (ROOT / "docs" / "operators" / name).read_text()
        assert not re.search(r"python3\.\d", page), name
        for line in page.splitlines():
            if line.lstrip().startswith(("sudo -u newsbot", "(cd / && sudo -u newsbot")):
                assert line.startswith("(cd / && sudo -u newsbot "), line
