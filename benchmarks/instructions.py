"""CPU instructions per request of a gunicorn worker: flask-usercore beside the bare app.

``bench.py`` measures requests/s, which moves by 5-10 % on a shared machine when anything else
runs. This counts what the server's worker executes instead, which does not depend on the load
around it, so two trees can be compared on a busy machine. Each app runs under gunicorn (one
sync worker) inside valgrind's callgrind, which follows the worker's fork and writes the
instructions it executed when it exits. Each app is started twice: one server is stopped right
after a warm-up, the other after ``--requests`` more token-authenticated GETs; the difference
of the two workers' totals, divided by ``--requests``, is the cost of one request, everything
from the accepted connection to the written reply (gunicorn's parsing, Flask, the library, the
SQL driver and SQLite). ``PYTHONHASHSEED`` is fixed so that both runs boot the same way.
The dump files (``--keep``) show where the instructions went: ``callgrind_annotate FILE``.

Same set-up as ``bench.py`` (the same database, seeds, tokens and app code). It prints the
instructions per request of each app and the ratio bare/usercore (1.0 = the same work).
``--pages`` counts the pages of ``pages.py`` instead: ``GET /account/profile`` (the account
pages on) beside the bare app's ``GET /profile`` and ``GET /profile-wtf``, signed in by the
session cookie.

Run from the repository root: ``python benchmarks/instructions.py`` (needs valgrind, the
Debian package ``valgrind``; Python runs about 50 times slower inside it: a few minutes).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (the sibling module; the path is set just above)


def start_under_callgrind(name: str, app: str, chdir: Path, env: dict[str, str],
                          out: Path) -> bench.Server:
    """gunicorn with one sync worker inside callgrind; ready once its worker has answered."""
    port = bench.free_port()
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/{name}.%p",
           sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync",
           "--timeout", "3600", "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir),
           "--log-level", "warning", "--error-logfile", str(out / f"{name}.log"), app]
    proc = subprocess.Popen(cmd, env={**env, "PYTHONHASHSEED": "0"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return bench.Server(name, port, proc)


def wait_ready(server: bench.Server, request: bench.Request) -> None:
    """Until the worker (booting slowly inside valgrind) has answered one request."""
    method, path, _, headers = request
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1800)
            conn.request(method, path, headers=headers)
            status = conn.getresponse().status
            conn.close()
        except OSError:
            time.sleep(1)
            continue
        if status != 200:
            raise RuntimeError(f"{server.name} answered {method} {path} with {status}")
        return
    raise RuntimeError(f"{server.name} did not answer")


def worker_total(server: bench.Server, out: Path) -> int:
    """Stop ``server`` (SIGTERM, by pid) and read its worker's instruction total."""
    server.stop()
    for dump in out.glob(f"{server.name}.*"):
        if dump.suffix[1:].isdigit() and int(dump.suffix[1:]) != server.proc.pid:
            for line in dump.read_text(errors="replace").splitlines():
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError(f"no worker dump of {server.name} in {out}")


def per_request(name: str, app: str, chdir: Path, env: dict[str, str], out: Path,
                requests: Sequence[bench.Request], concurrency: int) -> float:
    """Instructions of one request: two servers, the difference of their workers' totals."""
    (out / "idle").mkdir(parents=True, exist_ok=True)
    (out / "loaded").mkdir(parents=True, exist_ok=True)
    idle = start_under_callgrind(name, app, chdir, env, out / "idle")
    loaded = start_under_callgrind(name, app, chdir, env, out / "loaded")
    try:
        for server in (idle, loaded):
            wait_ready(server, requests[0])
            bench.check(bench.load(server.port, requests[:20], 1), "warm-up")
        bench.check(bench.load(loaded.port, requests, concurrency), "counted run")
        return (worker_total(loaded, out / "loaded")
                - worker_total(idle, out / "idle")) / len(requests)
    finally:
        idle.stop()
        loaded.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="GETs counted per app (100)")
    parser.add_argument("--users", type=int, default=1000, help="users seeded (default 1000)")
    parser.add_argument("--concurrency", type=int, default=1, help="client processes (1)")
    parser.add_argument("--pages", action="store_true",
                        help="the account page beside the bare pages (pages.py) instead of /me")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder with the callgrind dumps")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is missing (apt-get install valgrind)", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="usercore-instr-"))
    run = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    outbox = tmp / "outbox"
    env = {**os.environ, "DATABASE_URL": database_url, "USERCORE_MAIL_OUTBOX": str(outbox),
           "SECRET_KEY": bench.SECRET_KEY,
           "PYTHONPATH": os.pathsep.join([str(bench.ROOT), str(HERE)])}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "USERCORE_MAIL_OUTBOX", "SECRET_KEY")})
    sys.path[:0] = [str(bench.ROOT)]
    import bare_app

    from example_app import create_app

    config = {**bench.LIBRARY_CONFIG, "USERCORE_PAGES": True} if args.pages \
        else dict(bench.LIBRARY_CONFIG)
    app = create_app(dict(config))
    bare_app.create_app()
    try:
        with app.app_context():
            # seeded in-process only: an argon2 hash made under valgrind takes minutes
            _, tokens = bench.seed_bulk(app, bare_app, run, args.users)
        if args.pages:
            return _pages(config, env, tmp, tokens, args)
        lib = per_request("usercore", f"example_app:create_app({bench.LIBRARY_CONFIG!r})",
                          bench.ROOT, env, tmp / "usercore",
                          bench.get_requests("/v2/users/self", tokens, args.requests),
                          args.concurrency)
        print(f"usercore GET /v2/users/self: {lib:12,.0f} instructions/request", flush=True)
        bare = per_request("bare", "bare_app:create_app()", HERE, env, tmp / "bare",
                           bench.get_requests("/me", tokens, args.requests), args.concurrency)
        print(f"bare     GET /me:            {bare:12,.0f} instructions/request")
    finally:
        if args.keep:
            print(f"dumps kept in {tmp}")
        else:
            bench.finish_run(app, database_url, run, tmp)
    print(f"ratio bare/usercore: {bare / lib:.3f}")
    return 0


def _pages(config: dict[str, object], env: dict[str, str], tmp: Path, tokens: Sequence[str],
           args: argparse.Namespace) -> int:
    """``--pages``: the instructions of the three pages of ``pages.py``."""
    import pages

    counted = {}
    for name, app, chdir in (("usercore", f"example_app:create_app({config!r})", bench.ROOT),
                             ("bare", "bare_app:create_app()", HERE),
                             ("bare-wtf", "bare_app:create_app()", HERE)):
        path = pages.PATHS[name]
        counted[name] = per_request(name, app, chdir, env, tmp / name,
                                    pages.page_requests(path, tokens, args.requests),
                                    args.concurrency)
        print(f"{name:8} GET {path:17} {counted[name]:12,.0f} instructions/request",
              flush=True)
    print(f"ratio bare/usercore: {counted['bare'] / counted['usercore']:.3f}  "
          f"(target >= {pages.TARGET})")
    print(f"ratio bare-wtf/usercore: {counted['bare-wtf'] / counted['usercore']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
