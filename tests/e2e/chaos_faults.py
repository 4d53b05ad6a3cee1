"""The faults of the faults-under-load suite: what each kills, found by pid, and when the
part it killed counts as back.

Pids come from supervisord (its pid file and its record of each program) and from /proc
parent links below them (an HAProxy worker, a gunicorn master, a deploy worker among the
API server's children) — never from a process name alone.
"""

from __future__ import annotations

import json

from tests.e2e import procs
from tests.e2e.chaos import NAME, Chaos, Fault, Victim, fetch
from tests.source.gitrepo import commit


def program(chaos: Chaos, name: str, comm: str) -> int:
    pid = chaos.target.program_pid(name)
    assert pid is not None, f"supervisord does not run {name}"
    assert procs.comm(pid) == comm, f"{name} (pid {pid}) is {procs.comm(pid)!r}, not {comm}"
    return pid


def master_ready(chaos: Chaos, name: str, comm: str, killed: int) -> str | None:
    """The program runs again under a new pid and has started its workers."""
    pid = chaos.target.program_pid(name)
    if pid is None or pid == killed:
        return f"{name} is not RUNNING again yet"
    if not [c for c in procs.children(pid) if procs.comm(c) == comm]:
        return f"{name} (pid {pid}) has no worker yet"
    return None


def newest(pids: list[int]) -> int:
    """The most recently started of ``pids`` (an HAProxy master keeps an old worker for a
    while after a reload)."""
    def started(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return int(fh.read().rsplit(")", 1)[1].split()[19])
        except (OSError, ValueError, IndexError):
            return -1
    return max(pids, key=started)


def haproxy_master(chaos: Chaos) -> Victim:
    pid = program(chaos, "dockyard-haproxy", "haproxy")
    return Victim(pid, f"HAProxy master (pid {pid})",
                  lambda: master_ready(chaos, "dockyard-haproxy", "haproxy", pid))


def haproxy_worker(chaos: Chaos) -> Victim:
    master = program(chaos, "dockyard-haproxy", "haproxy")
    workers = [c for c in procs.children(master) if procs.comm(c) == "haproxy"]
    assert workers, f"the HAProxy master (pid {master}) has no worker"
    pid = newest(workers)

    def ready() -> str | None:
        now = chaos.target.program_pid("dockyard-haproxy")
        if now is None:
            return "dockyard-haproxy is not RUNNING"
        if not [c for c in procs.children(now) if procs.comm(c) == "haproxy" and c != pid]:
            return f"dockyard-haproxy (pid {now}) has no worker"
        return None
    return Victim(pid, f"HAProxy worker (pid {pid}, master {master})", ready)


def nginx_master(chaos: Chaos) -> Victim:
    pid = program(chaos, "dockyard-nginx", "nginx")
    return Victim(pid, f"nginx master (pid {pid})",
                  lambda: master_ready(chaos, "dockyard-nginx", "nginx", pid))


def postmaster(chaos: Chaos) -> Victim:
    pid = program(chaos, "postgres", "postgres")

    def ready() -> str | None:
        now = chaos.target.program_pid("postgres")
        return None if now not in (None, pid) else "postgres is not RUNNING again yet"
    return Victim(pid, f"PostgreSQL postmaster (pid {pid})", ready)


def supervisord(chaos: Chaos) -> Victim:
    pid = chaos.target.supervisor.pid()
    assert pid is not None and procs.alive(pid), "supervisord does not run"

    def ready() -> str | None:
        now = chaos.target.supervisor.pid()
        if now in (None, pid) or not chaos.target.supervisord_running():
            return "no new supervisord answers yet"
        infos = chaos.target.processes()
        waiting = [i["name"] for i in infos if i["statename"] != "RUNNING"]
        return f"not RUNNING yet: {', '.join(waiting)}" if waiting else None
    return Victim(pid, f"supervisord (pid {pid})", ready)


def api_server(chaos: Chaos) -> Victim:
    pid = program(chaos, "dockyard-api", "python")

    def ready() -> str | None:
        now = chaos.target.program_pid("dockyard-api")
        return None if now not in (None, pid) else "dockyard-api is not RUNNING again yet"
    return Victim(pid, f"API server (pid {pid})", ready)


def instance_programs(chaos: Chaos, deployment: str = "") -> list[str]:
    prefix = f"i-{chaos.app_id[:8]}-web-{deployment[:8]}"
    return sorted(n for n in chaos.target.supervisor.program_names() if n.startswith(prefix))


def gunicorn_of(launcher: int) -> int | None:
    """The gunicorn master below an instance's launcher (bwrap → bash → gunicorn)."""
    return next((p for p in procs.descendants(launcher) if "bin/gunicorn" in procs.cmdline(p)),
                None)


def gunicorn_master(chaos: Chaos) -> Victim:
    """The gunicorn master of an instance of the live release; it is back when the
    instance's launcher was started again (the old one ends once everything the instance
    ran has ended, orphaned workers included) and the new gunicorn answers on its port."""
    name = instance_programs(chaos, chaos.active_deployment())[0]
    launcher = chaos.target.program_pid(name)
    assert launcher, f"{name} is not RUNNING"
    pid = gunicorn_of(launcher)
    assert pid, f"no gunicorn below {name}'s launcher (pid {launcher})"
    port = int(procs.environ(pid)["PORT"])

    def ready() -> str | None:
        now = chaos.target.program_pid(name)
        master = gunicorn_of(now) if now not in (None, launcher) else None
        if master is None:
            return f"{name} has not started a new gunicorn yet"
        status, body = fetch(port, "/health")
        return None if status == 200 else f"{name} on port {port} answers {status}: {body[:60]}"
    return Victim(pid, f"gunicorn master of {name} (pid {pid})", ready)


def deploy_worker(chaos: Chaos) -> Victim:
    """Start a deployment and kill its worker once its new instances exist (in the health
    gate): the deployment must end ERROR with its instances stopped, the old release live."""
    chaos.deploys += 1
    version = f"v{chaos.deploys}-never-live"
    commit(chaos.repo, {"version.txt": version + "\n",
                        "static/index.html": f"version={version}\n"}, version)
    out = chaos.target.cli("apps", "create-deployment", NAME, "-o", "json")
    dep = json.loads(out)[0]["id"]
    chaos.wait(lambda: instance_programs(chaos, dep), f"deployment {dep}'s new instances", 300,
               interval=0.02)
    api = program(chaos, "dockyard-api", "python")
    workers = [c for c in procs.children(api)
               if "dockyard.deploy.worker" in procs.cmdline(c) and dep in procs.cmdline(c)]
    assert workers, f"no deploy worker of {dep} among the API server's (pid {api}) children"

    def ready() -> str | None:
        got = chaos.target.api(f"/v2/apps/{chaos.app_id}/deployments/{dep}")
        phase = got["deployment"]["phase"] if got else "unknown"
        if phase != "ERROR":
            return f"deployment {dep} is {phase}, not ERROR"
        left = instance_programs(chaos, dep)
        return f"{dep}'s instances still run: {left}" if left else chaos.serving(chaos.version)
    return Victim(workers[0], f"deploy worker of {dep[:8]} (pid {workers[0]})", ready)


FAULTS = [
    Fault("haproxy-master", "HAProxy master", haproxy_master),
    Fault("haproxy-worker", "HAProxy worker", haproxy_worker),
    Fault("nginx-master", "nginx master", nginx_master),
    Fault("postmaster", "PostgreSQL postmaster", postmaster),
    Fault("supervisord", "supervisord", supervisord),
    Fault("api-server", "API server", api_server),
    Fault("gunicorn-master", "gunicorn master", gunicorn_master),
    Fault("deploy-worker", "deploy worker mid-deploy", deploy_worker),
]
