"""A private Elasticsearch cluster (1 or 3 nodes, each its own JVM) that a test may stop and
restart node by node: scripts/elasticsearch.sh with its own state folder. Tests that only need a
live cluster use the shared one (tests/live_elasticsearch.py); these cost a JVM start each."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import skip_or_fail

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "elasticsearch.sh"
START_TIMEOUT = 300  # the first run resolves the Maven project; a loaded CI machine is slow


def missing_jdk() -> str | None:
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"{tool} not found: a private Elasticsearch cluster needs a JDK and Maven"
    return None


class LocalCluster:
    def __init__(self, state: Path, nodes: int) -> None:
        self.state = state
        self.nodes = nodes
        self.url = ""

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), *args, "--state", str(self.state)],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"elasticsearch.sh {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout.strip()

    def start(self) -> None:
        self.url = self._run("start", "--nodes", str(self.nodes))

    def stop_node(self, node: int) -> None:
        """Stops node `node` (1-based) by its PID; its data stays for resume_node."""
        self._run("stop", "--node", str(node))

    def resume_node(self, node: int) -> None:
        """Starts a stopped node again and waits until the cluster is at least yellow."""
        self._run("resume", "--node", str(node))

    def halt(self) -> None:
        """Stops every node; their data stays for resume_all."""
        self._run("halt")

    def resume_all(self) -> None:
        """Starts every stopped node at once (a lone master-eligible node of three cannot elect
        itself) and waits until the cluster is at least yellow."""
        self._run("resume")

    def node_url(self, node: int) -> str:
        port = (self.state / f"node-{node}.http-port").read_text().strip()
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._run("stop")


@contextmanager
def local_cluster(state: Path, nodes: int = 1) -> Iterator[LocalCluster]:
    """A started cluster, stopped (and its data deleted) on exit. Skips, or fails under CI=true,
    without a JDK and Maven."""
    skip_or_fail(missing_jdk())
    cluster = LocalCluster(state, nodes)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
