#!/usr/bin/env bash
# A local Elasticsearch 8 for tests and benchmarks: 1 or 3 nodes on 127.0.0.1, each in its own JVM,
# data under a temporary folder. Everything comes from Maven Central on the first run (then from
# ~/.m2); nothing of Elasticsearch is kept in the repository. README: "Elasticsearch on loopback".
#
#   scripts/elasticsearch.sh start [--nodes 1|3] [--state DIR]   prints the first node's URL
#   scripts/elasticsearch.sh stop [--node I] [--state DIR]       all nodes, or node I (1-based)
#   scripts/elasticsearch.sh halt [--state DIR]                  stops every node, keeps the data
#   scripts/elasticsearch.sh resume [--node I] [--state DIR]     starts stopped node(s) again
#
# ES_HEAP (default 512m per node) sets each JVM's heap. The state folder (default
# scripts/elasticsearch/target/run) holds the PID files, the URLs and the node logs.
set -euo pipefail

project="$(cd "$(dirname "$0")/elasticsearch" && pwd)"
command="${1:-}"
shift || true
nodes=1
node=""
state="$project/target/run"
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) nodes="$2"; shift 2 ;;
        --node) node="$2"; shift 2 ;;
        --state) state="$2"; shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

die() { echo "elasticsearch.sh: $*" >&2; exit 1; }

# Compile the launcher and write its classpath, once per change of the Maven project.
resolve() {
    local cp="$project/target/classpath.txt"
    local newest
    newest="$(find "$project/pom.xml" "$project/src" -newer "$cp" -print -quit 2>/dev/null || true)"
    if [ ! -s "$cp" ] || [ -n "$newest" ]; then
        mvn -q -B -f "$project/pom.xml" compile dependency:build-classpath \
            -Dmdep.outputFile="$cp" >&2 || die "the Maven project did not resolve (see above)"
    fi
    echo "$project/target/classes:$(cat "$cp")"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

launch() {  # launch I: start node I from the ports and folders recorded in the state folder
    local i="$1"
    local seeds=()
    [ "$(cat "$state/nodes")" -gt 1 ] && seeds=(--seed-ports "$(cat "$state/transport-ports")" \
        --master-names "$(cat "$state/names")")
    nohup java -Xms"${ES_HEAP:-512m}" -Xmx"${ES_HEAP:-512m}" -XX:+UseSerialGC \
        -Djava.io.tmpdir="$(cat "$state/data")/tmp" \
        -cp "$(cat "$state/classpath")" org.dipcheck.localnode.LocalNode \
        --name "node-$i" --home "$(cat "$state/data")/node-$i" \
        --http-port "$(cat "$state/node-$i.http-port")" \
        --transport-port "$(cat "$state/node-$i.transport-port")" "${seeds[@]}" \
        >>"$state/node-$i.log" 2>&1 </dev/null &
    echo $! >"$state/node-$i.pid"
}

wait_ready() {  # until the cluster has every running node and is at least yellow
    local url want i
    url="$(cat "$state/url")"
    want=0
    for i in $(seq 1 "$(cat "$state/nodes")"); do alive "$state/node-$i.pid" && want=$((want + 1)); done
    for _ in $(seq 1 120); do
        for i in $(seq 1 "$(cat "$state/nodes")"); do
            if [ -f "$state/node-$i.pid" ] && ! alive "$state/node-$i.pid" && [ ! -f "$state/node-$i.stopped" ]; then
                tail -n 40 "$state/node-$i.log" >&2
                die "node $i exited while starting (log: $state/node-$i.log)"
            fi
        done
        if curl -fsS -o /dev/null --max-time 10 \
            "$url/_cluster/health?wait_for_status=yellow&wait_for_nodes=$want&timeout=5s" 2>/dev/null; then
            return 0
        fi
        sleep 1
    done
    die "the cluster at $url was not ready within about 2 minutes"
}

stop_node() {  # stop_node I: TERM, then KILL after 30 s
    local pidfile="$state/node-$1.pid" pid
    alive "$pidfile" || return 0
    pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
}

case "$command" in
    start)
        case "$nodes" in 1 | 3) ;; *) die "--nodes must be 1 or 3" ;; esac
        if [ -f "$state/nodes" ]; then
            for i in $(seq 1 "$(cat "$state/nodes")"); do
                alive "$state/node-$i.pid" && die "already running (stop it first): $(cat "$state/url")"
            done
        fi
        command -v java >/dev/null || die "java (a JDK 17 or newer) is not installed"
        command -v mvn >/dev/null || die "mvn (Maven) is not installed"
        classpath="$(resolve)"
        rm -rf "$state"
        mkdir -p "$state"
        echo "$classpath" >"$state/classpath"
        echo "$nodes" >"$state/nodes"
        data="$(mktemp -d "${TMPDIR:-/tmp}/dipcheck-es.XXXXXX")"
        mkdir -p "$data/tmp"
        echo "$data" >"$state/data"
        names=() transports=()
        for i in $(seq 1 "$nodes"); do
            free_port >"$state/node-$i.http-port"
            free_port >"$state/node-$i.transport-port"
            names+=("node-$i")
            transports+=("$(cat "$state/node-$i.transport-port")")
        done
        (IFS=,; echo "${names[*]}" >"$state/names"; echo "${transports[*]}" >"$state/transport-ports")
        echo "http://127.0.0.1:$(cat "$state/node-1.http-port")" >"$state/url"
        for i in $(seq 1 "$nodes"); do launch "$i"; done
        wait_ready
        cat "$state/url"
        ;;
    stop)
        [ -f "$state/nodes" ] || exit 0
        if [ -n "$node" ]; then
            stop_node "$node"
            touch "$state/node-$node.stopped"
        else
            for i in $(seq 1 "$(cat "$state/nodes")"); do stop_node "$i"; done
            rm -rf "$(cat "$state/data")"
            rm -f "$state/nodes"
        fi
        ;;
    halt)
        [ -f "$state/nodes" ] || die "no cluster was started from $state"
        for i in $(seq 1 "$(cat "$state/nodes")"); do
            stop_node "$i"
            touch "$state/node-$i.stopped"
        done
        ;;
    resume)
        [ -f "$state/nodes" ] || die "no cluster was started from $state"
        if [ -n "$node" ]; then
            alive "$state/node-$node.pid" && die "node $node is running"
            rm -f "$state/node-$node.stopped"
            launch "$node"
        else  # every stopped node at once: a lone master-eligible node cannot elect itself
            for i in $(seq 1 "$(cat "$state/nodes")"); do
                if ! alive "$state/node-$i.pid"; then
                    rm -f "$state/node-$i.stopped"
                    launch "$i"
                fi
            done
        fi
        wait_ready
        ;;
    *)
        sed -n '6,12p' "$0" >&2
        exit 2
        ;;
esac
