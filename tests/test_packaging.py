"""The Dockerfile, docker-compose.yml, requirements files, Makefile and README agree with each other and the app."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HEALTH_PATH = "/api/health"
COLD_WARMUP_SECONDS = 90  # cold start: 19 s by bench.startup on 2 cores, 33 s to healthy in Docker; slower hosts
DEFAULT_SHUTDOWN_SECONDS = 5.0  # Settings.shutdown_seconds when LAYERLAB_SHUTDOWN_SECONDS is unset


# --- readers -------------------------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def indices(instructions: list[tuple[str, str]], keyword: str) -> list[int]:
    return [i for i, (k, _) in enumerate(instructions) if k == keyword]


def only(instructions: list[tuple[str, str]], keyword: str) -> str:
    found = [arguments for k, arguments in instructions if k == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile():
        if keyword == "ENV":
            for word in shlex.split(arguments):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def dockerfile_args() -> dict[str, str]:
    return dict(arguments.partition("=")[::2] for keyword, arguments in dockerfile() if keyword == "ARG")


def copies() -> list[tuple[int, list[str], str]]:
    """(index, sources, destination) of every COPY."""
    found = []
    for i, (keyword, arguments) in enumerate(dockerfile()):
        if keyword == "COPY":
            words = [w for w in shlex.split(arguments) if not w.startswith("--")]
            found.append((i, [w.rstrip("/") for w in words[:-1]], words[-1]))
    return found


def pip_install_index() -> int:
    runs = [i for i, (k, a) in enumerate(dockerfile()) if k == "RUN" and "pip install" in a]
    assert len(runs) == 1, "expected one RUN that installs the requirements"
    return runs[0]


def healthcheck() -> tuple[list[str], list[str]]:
    """The HEALTHCHECK's options and its exec-form command."""
    options, _, command = only(dockerfile(), "HEALTHCHECK").partition(" CMD ")
    return shlex.split(options), json.loads(command)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def layerlab_services() -> dict[str, dict]:
    """The services that run Layerlab's own image (built from here), not the balancer in front of them."""
    return {name: service for name, service in services().items() if "build" in service}


def published_services() -> dict[str, dict]:
    return {name: service for name, service in services().items() if "ports" in service}


def scale_services() -> dict[str, dict]:
    return {name: service for name, service in services().items() if "scale" in service.get("profiles", [])}


def default_services() -> list[str]:
    return [name for name, service in services().items() if not service.get("profiles")]


def gpu_service() -> tuple[str, dict]:
    found = [(name, s) for name, s in services().items() if "gpu" in s.get("profiles", [])]
    assert len(found) == 1, "expected one service under the gpu profile"
    return found[0]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: str(value) for name, value in env.items()}


def seconds(duration: str) -> float:
    """A Go/Compose duration such as '10s', '1m30s' or '300s' in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def requirement_lines(name: str) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [line for line in lines if line]


def includes(name: str) -> list[str]:
    """The file and every file it includes with -r, transitively."""
    found = [name]
    for line in requirement_lines(name):
        if line.startswith("-r"):
            found += includes(line[2:].strip())
    return found


def pins(name: str) -> dict[str, str]:
    """Package (lower-case, extras dropped) to pinned version, over the file and its includes."""
    found = {}
    for file in includes(name):
        for line in requirement_lines(file):
            if not line.startswith("-r"):
                package, _, version = line.partition("==")
                found[re.sub(r"\[.*\]", "", package).lower().replace("_", "-")] = version
    return found


def readme() -> str:
    path = ROOT / "README.md"
    if not path.exists():
        pytest.fail("README.md is missing: it must give the docker commands, the port and the health path")
    return path.read_text()


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last matching pattern wins, ! re-includes)."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        regex = ""
        for token in re.findall(r"\*\*/|\*\*|\*|\?|[^*?]", pattern.lstrip("!").strip("/")):
            regex += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            ignored = not negate
    return ignored


def make_dry_run(target: str) -> list[str]:
    """The commands `make TARGET` would run from scratch (-B: as if nothing were built yet)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # Run as a top-level make even under `make test`, so no "Entering directory" lines appear.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    out = subprocess.run(["make", "--no-print-directory", "-n", "-B", target], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


# --- Dockerfile ----------------------------------------------------------------------------------------------


def test_base_image_is_python_312_slim():
    assert only(dockerfile(), "FROM").split()[0] == "python:3.12-slim"


def test_runs_as_a_non_root_user_that_the_image_creates():
    instructions = dockerfile()
    users = indices(instructions, "USER")
    assert users, "no USER: the server would run as root"
    user = instructions[users[-1]][1].split(":")[0]
    assert user not in {"root", "0"}
    assert users[-1] < indices(instructions, "CMD")[0]
    assert any(k == "RUN" and re.search(rf"useradd\b.*\b{user}\b", a) for k, a in instructions)


def test_the_executables_directory_is_absolute_and_the_user_owns_it():
    instructions = dockerfile()
    cache = dockerfile_env()["LAYERLAB_EXECUTABLES"]
    user = instructions[indices(instructions, "USER")[-1]][1].split(":")[0]
    assert cache.startswith("/")
    assert any(k == "RUN" and re.search(rf"chown\s+{user}\S*\s+{re.escape(cache)}\b", a) for k, a in instructions)


def test_defaults_suit_a_container():
    env = dockerfile_env()
    assert env["JAX_PLATFORMS"] == "cpu"
    assert env["LAYERLAB_HOST"] == "0.0.0.0"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_requirements_are_installed_before_the_code_is_copied():
    install = pip_install_index()
    assert re.search(r"-r\s+\"?\$\{?REQUIREMENTS\}?\"?", dockerfile()[install][1])
    assert dockerfile_args()["REQUIREMENTS"] == "requirements.txt"
    code = [i for i, sources, _ in copies() if "backend" in sources]
    assert code and install < code[0], "copying backend/ before pip install reinstalls everything on each edit"


def test_every_requirements_file_a_build_can_name_is_copied_before_the_install():
    install = pip_install_index()
    copied = {source for i, sources, _ in copies() if i < install for source in sources}
    _, gpu = gpu_service()
    for chosen in (dockerfile_args()["REQUIREMENTS"], gpu["build"]["args"]["REQUIREMENTS"]):
        for file in includes(chosen):
            assert file in copied, f"{chosen} needs {file}, which is not copied before pip install"


def test_backend_and_frontend_sit_side_by_side_in_the_image():
    """api/app.py serves the page from the folder `frontend` beside the package."""
    placed = {tuple(sources): destination.rstrip("/") for _, sources, destination in copies()}
    assert placed[("backend",)] == "backend"
    assert placed[("frontend",)] == "frontend"


def test_dockerignore_keeps_what_the_image_copies_and_drops_local_state():
    for _, sources, _ in copies():
        for source in sources:
            files = [source] if (ROOT / source).is_file() else [
                str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*") if p.is_file() and "__pycache__" not in p.parts
            ]
            assert not [f for f in files if dockerignored(f)], f"{source} is copied but .dockerignore drops it"
    for local in (".venv/bin/python", ".git/HEAD", ".executables/entry", "backend/api/__pycache__", "tests/test_x.py"):
        assert dockerignored(local), f"{local} would be sent to the build"


def test_command_serves_the_module_that_make_run_serves():
    assert json.loads(only(dockerfile(), "CMD")) == ["python", "-m", "backend"]
    assert re.search(r"-m backend\b", make_dry_run("run")[-1])
    assert only(dockerfile(), "STOPSIGNAL") == "SIGTERM"


def test_port_agrees_across_settings_dockerfile_and_compose():
    settings = pytest.importorskip("backend.settings")
    port = str(settings.Settings().port)
    assert only(dockerfile(), "EXPOSE").split("/")[0] == port
    assert dockerfile_env()["LAYERLAB_PORT"] == port
    for name, service in published_services().items():
        assert [str(p).rsplit(":", 1)[-1] for p in service["ports"]] == [port], name


def test_compose_publishes_on_loopback_unless_told_otherwise():
    """`docker compose up` alone serves this machine only; a variable opens it to a network (README)."""
    for name, service in published_services().items():
        for published in service["ports"]:
            with_defaults = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", str(published))  # compose's ${VAR:-default}
            assert with_defaults.split(":")[0] == "127.0.0.1", name
            variable = re.match(r"\$\{(\w+):-", str(published))
            assert variable and variable.group(1) in (ROOT / "README.md").read_text(), name


def test_healthcheck_waits_long_enough_for_a_cold_warm_up():
    options, _ = healthcheck()
    start = dict(o.lstrip("-").split("=", 1) for o in options)["start-period"]
    assert seconds(start) >= COLD_WARMUP_SECONDS


@pytest.mark.parametrize(("status", "ready", "healthy"), [(200, True, True), (200, False, False), (404, None, False)])
def test_healthcheck_asks_the_health_route_and_waits_for_ready(status, ready, healthy):
    """Run the HEALTHCHECK command against a stand-in server on LAYERLAB_PORT."""
    asked = []

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            body = json.dumps({"status": "ok", "ready": ready, "device": "cpu"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _, command = healthcheck()
        assert command[0] == "python"
        env = {**os.environ, "LAYERLAB_PORT": str(server.server_address[1])}
        result = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert asked == [HEALTH_PATH]
    assert (result.returncode == 0) == healthy, result.stderr.decode()


def test_health_path_is_served_by_the_app():
    app = pytest.importorskip("backend.api.app")
    settings = pytest.importorskip("backend.settings")
    paths = app.create_app(settings.Settings(executables="")).openapi()["paths"]
    assert "get" in paths[HEALTH_PATH]


# --- docker-compose.yml --------------------------------------------------------------------------------------


def test_plain_up_starts_one_cpu_service_built_from_here():
    assert default_services() == ["layerlab"]
    service = services()["layerlab"]
    assert service["build"] in (".", {"context": "."})
    assert "JAX_PLATFORMS" not in environment(service), "the CPU service should keep the image's JAX_PLATFORMS=cpu"


def test_gpu_service_builds_the_gpu_requirements():
    _, service = gpu_service()
    assert service["profiles"] == ["gpu"]
    assert service["build"]["context"] == "."
    chosen = service["build"]["args"]["REQUIREMENTS"]
    assert chosen != dockerfile_args()["REQUIREMENTS"] and (ROOT / chosen).is_file()
    assert any(name.startswith("jax-cuda") for name in pins(chosen))


def test_gpu_service_reserves_one_nvidia_gpu():
    _, service = gpu_service()
    [device] = service["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["count"] == 1
    assert "gpu" in device["capabilities"]


def test_gpu_service_environment():
    env = environment(gpu_service()[1])
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert env["JAX_PLATFORMS"] == "cuda"
    assert env["LAYERLAB_WORKERS"] == "1"


def test_stop_grace_period_outlasts_the_graceful_shutdown():
    image_default = float(dockerfile_env().get("LAYERLAB_SHUTDOWN_SECONDS", DEFAULT_SHUTDOWN_SECONDS))
    for name, service in layerlab_services().items():
        shutdown = float(environment(service).get("LAYERLAB_SHUTDOWN_SECONDS", image_default))
        assert seconds(service["stop_grace_period"]) > shutdown, name


def test_the_executables_live_on_a_named_volume():
    cache = dockerfile_env()["LAYERLAB_EXECUTABLES"]
    assert "executables" in compose()["volumes"]
    for name, service in layerlab_services().items():
        assert f"executables:{cache}" in service["volumes"], name


def test_services_keep_the_image_healthcheck():
    for name, service in layerlab_services().items():
        check = service.get("healthcheck", {})
        assert not check.get("disable") and check.get("test") not in (["NONE"], "NONE"), name


def test_the_scale_profile_puts_replicas_behind_the_balancer_alone():
    """Only the balancer is published; the replicas are Layerlab's image, trust the balancer's network for the
    client's address and their own name, and the balancer reads the repository's config."""
    scale = scale_services()
    [balancer] = [name for name, service in scale.items() if service.get("image", "").startswith("haproxy")]
    [replica] = [name for name, service in scale.items() if "build" in service]
    assert "ports" not in scale[replica] and scale[balancer]["ports"] == services()["layerlab"]["ports"]
    assert scale[balancer]["depends_on"] == [replica]
    assert environment(scale[balancer])["LAYERLAB_REPLICA_HOST"].split(":")[0] == replica
    assert re.fullmatch(r"\$\{LAYERLAB_REPLICAS:-\d+\}", str(scale[replica]["deploy"]["replicas"]))
    settings = pytest.importorskip("backend.settings")
    trusting = settings.Settings(trusted_proxies=environment(scale[replica])["LAYERLAB_TRUSTED_PROXIES"])
    assert all(trusting.trusts(a) for a in ("172.18.0.5", "10.1.2.3", "192.168.10.2"))
    assert not trusting.trusts("203.0.113.9")
    source, _, _ = next(v for v in scale[balancer]["volumes"] if v.startswith("./")).partition(":")
    assert (ROOT / source).is_file()


def test_saved_runs_outlive_the_containers():
    """The single servers keep their SQLite database on a named volume; the scale set-up's replicas share one
    PostgreSQL, with a health check they wait for."""
    data = dockerfile_env()["LAYERLAB_DATA_DIR"]
    assert "runs" in compose()["volumes"]
    for name, service in layerlab_services().items():
        if "scale" not in service.get("profiles", []):
            assert f"runs:{data}" in service["volumes"], name
    scale = scale_services()
    [replica] = [s for s in scale.values() if "build" in s]
    [(name, database)] = [(n, s) for n, s in scale.items() if s.get("image", "").startswith("postgres")]
    assert replica["depends_on"][name]["condition"] == "service_healthy" and "pg_isready" in str(database["healthcheck"])
    url = environment(replica)["LAYERLAB_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and f"@{name}:5432/" in url
    assert any(v.endswith(":/var/lib/postgresql/data") for v in database["volumes"])


def test_the_balancer_config_is_valid_as_compose_runs_it():
    """HAProxy itself checks deploy/haproxy.cfg with the balancer service's environment."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.access(haproxy, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("HAProxy is missing (apt-get install haproxy)")
        pytest.skip("HAProxy is missing (apt-get install haproxy)")
    [balancer] = [s for s in scale_services().values() if s.get("image", "").startswith("haproxy")]
    env = {**os.environ, **environment(balancer)}
    result = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- requirements and Makefile -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in ROOT.glob("requirements*.txt")))
def test_every_requirement_is_pinned_once(name):
    seen = set()
    for file in includes(name):
        assert (ROOT / file).is_file(), f"{name} includes missing {file}"
        for line in requirement_lines(file):
            if line.startswith("-r"):
                continue
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!-]+", line), line
            package = re.sub(r"\[.*\]", "", line.partition("==")[0]).lower().replace("_", "-")
            assert package not in seen, f"{package} pinned twice under {name}"
            seen.add(package)


def test_every_runtime_dependency_is_pinned():
    """What each pinned package needs (on this platform, without extras) is pinned too, so an install from
    requirements.txt (the image's) resolves nothing of its own."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = {canonicalize_name(name) for name in pins("requirements.txt")}
    missing = set()
    for name in pinned:
        try:
            needs = distribution(name).requires or []
        except PackageNotFoundError:
            pytest.skip(f"{name} is not installed here")
        for need in map(Requirement, needs):
            if (need.marker is None or need.marker.evaluate({"extra": ""})) \
                    and canonicalize_name(need.name) not in pinned:
                missing.add(f"{need.name} (for {name})")
    assert not missing, sorted(missing)


def test_cuda_plugin_matches_jax():
    gpu = pins(gpu_service()[1]["build"]["args"]["REQUIREMENTS"])
    plugins = {name: version for name, version in gpu.items() if name.startswith("jax-cuda")}
    assert len(plugins) == 2, plugins  # the plugin and its PJRT runtime
    assert set(plugins.values()) == {gpu["jax"]} == {gpu["jaxlib"]}


@pytest.mark.parametrize(("target", "runs"), [("run", "-m backend"), ("test", "-m pytest")])
def test_make_targets_create_the_venv_first(target, runs):
    commands = make_dry_run(target)
    venv = next(i for i, c in enumerate(commands) if re.search(r"-m venv \.venv\b", c))
    install = next(i for i, c in enumerate(commands) if re.search(r"^\.venv/bin/python -m pip install .*-r (\S+)", c))
    installed = re.search(r"-r (\S+)", commands[install]).group(1)
    assert "requirements.txt" in includes(installed)
    assert venv < install < len(commands) - 1
    assert commands[-1].startswith(".venv/bin/python ") and runs in commands[-1]


# --- README --------------------------------------------------------------------------------------------------


def test_readme_gives_the_compose_commands():
    text = readme()
    assert "docker compose up" in text
    assert f"docker compose --profile gpu up {gpu_service()[0]}" in text
    [balancer] = [name for name, s in scale_services().items() if s.get("image", "").startswith("haproxy")]
    assert f"docker compose --profile scale up {balancer}" in text


def test_readme_gives_the_port_and_health_path():
    text = readme()
    port = only(dockerfile(), "EXPOSE").split("/")[0]
    assert f"http://localhost:{port}" in text
    assert HEALTH_PATH in text
