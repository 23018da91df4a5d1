#!/usr/bin/env bash
# `make cluster`: the assistant scaled out on Rasa's own design, on this machine.
#
#   visitor ──▶ nginx gateway (GATEWAY_PORT, 8000): /, /widget.js, /webhooks/widget/ only
#                 ├──▶ Rasa replicas (REPLICA_PORTS, "5006 5007", loopback)
#                 │      conversations in PostgreSQL, locks in Redis (clinic_server/lock_store.py),
#                 │      widget rate limits in Redis, the gateway the only trusted proxy
#                 └──▶ demo site (WEB_PORT, 8080, loopback)
#   model server: nginx on loopback (MODEL_SERVER_PORT, 8001) serving build/cluster/models/;
#                 every replica polls it (endpoints-cluster.yml) and switches with no restart
#   action server (ACTIONS_PORT, 5055, loopback, shared secret), the notifier, and the staff
#   studio's publishing worker (STUDIO_WORKER=0 leaves it out)
#
# Ctrl-C (or SIGTERM) stops everything. PIDs are written to $CLUSTER_DIR/pids/ (tests use
# them to stop one replica).
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077

BIN=.venv/bin
ROOT="$(pwd)"
CLUSTER_DIR="$(mkdir -p "${CLUSTER_DIR:-var/cluster}" && cd "${CLUSTER_DIR:-var/cluster}" && pwd)"
GATEWAY_HOST="${GATEWAY_HOST:-127.0.0.1}"
GATEWAY_PORT="${GATEWAY_PORT:-8000}"
MODEL_SERVER_PORT="${MODEL_SERVER_PORT:-8001}"
REPLICA_PORTS="${REPLICA_PORTS:-5006 5007}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
WEB_PORT="${WEB_PORT:-8080}"
PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$GATEWAY_PORT}"
MODELS_DIR="${MODELS_DIR:-$ROOT/build/cluster/models}"

export CONVERSATIONS_DATABASE_URL="${CONVERSATIONS_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/clinic}"
export BOOKING_DATABASE_URL="${BOOKING_DATABASE_URL:-$CONVERSATIONS_DATABASE_URL}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}"
export LOCK_REDIS_DB="${LOCK_REDIS_DB:-1}"
export RATE_LIMIT_REDIS_URL="${RATE_LIMIT_REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT/2}"
export ACTIONS_PORT MODEL_SERVER_PORT
# the gateway is the only proxy whose X-Forwarded-For counts
export TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1}"
# One computing thread per process: a replica handles one message at a time, and BLAS and
# TensorFlow threads spinning beside it took a second core for nothing (docs/benchmark.md)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}" TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"

command -v nginx >/dev/null || { echo "nginx is not installed: run \`make nginx\`" >&2; exit 1; }
mkdir -p "$CLUSTER_DIR/pids"
rm -f "$CLUSTER_DIR/ready"
pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping the cluster..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  rm -f "$CLUSTER_DIR"/pids/*.pid
}
trap stop INT TERM EXIT
remember() { pids+=("$2"); echo "$2" > "$CLUSTER_DIR/pids/$1.pid"; }

# Secrets shared by every replica: the widget's (kept), the action server's (per start).
if [[ -z "${WIDGET_SECRET:-}" ]]; then
  [[ -s "$CLUSTER_DIR/widget-secret" ]] || \
    "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(36))' > "$CLUSTER_DIR/widget-secret"
  WIDGET_SECRET="$(tr -d '[:space:]' < "$CLUSTER_DIR/widget-secret")"
fi
export WIDGET_SECRET
export ACTION_SECRET="${ACTION_SECRET:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(36))')}"

# The databases (PostgreSQL creates the conversations database when it is missing).
"$BIN/python" -m clinic_server.cluster_setup

# The model every replica loads: published once from models/ unless one is published already.
mkdir -p "$MODELS_DIR"
chmod 755 "$ROOT/build/cluster" "$MODELS_DIR" 2>/dev/null || true
if [[ ! -s "$MODELS_DIR/current.tar.gz" ]]; then
  install -m 644 models/current.tar.gz "$MODELS_DIR/.current.tar.gz" && \
    mv "$MODELS_DIR/.current.tar.gz" "$MODELS_DIR/current.tar.gz"
fi

# The widget's settings: the gateway's origin is the site, rate limits live in Redis
# (WIDGET_MESSAGES_PER_MINUTE per conversation, WIDGET_CLIENT_MESSAGES_PER_MINUTE per visitor's
# address; `make bench-load` raises them for its run).
cat > "$CLUSTER_DIR/credentials.yml" <<YML
channels.widget.WidgetInput:
  allowed_origins: ["$PUBLIC_URL"]
  max_message_length: 1000
  messages_per_minute: ${WIDGET_MESSAGES_PER_MINUTE:-20}
  client_messages_per_minute: ${WIDGET_CLIENT_MESSAGES_PER_MINUTE:-60}
  rate_limit_redis_url: "$RATE_LIMIT_REDIS_URL"
YML

upstreams=""
for port in $REPLICA_PORTS; do
  upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"$'\n'
done
cat > "$CLUSTER_DIR/nginx.conf" <<CONF
worker_processes 1;
pid $CLUSTER_DIR/nginx.pid;
error_log $CLUSTER_DIR/nginx-error.log warn;
events { worker_connections 1024; }
http {
  # no access log: visitors' addresses and requests are not kept
  access_log off;
  server_tokens off;
  client_max_body_size 64k;
  client_body_buffer_size 64k;
  proxy_max_temp_file_size 0;
  default_type application/octet-stream;

  # no keepalive to the replicas: a replica that dies then refuses the next connection, which
  # nginx passes to another replica, instead of failing a message already sent on a kept one
  # each message to the replica with the fewest in hand: a slow turn on one replica does
  # not queue the next visitors behind it (p95 at 50 visitors, docs/benchmark.md)
  upstream rasa_replicas {
    least_conn;
$upstreams  }

  # the one public surface: the site, widget.js and the widget's routes
  server {
    listen $GATEWAY_HOST:$GATEWAY_PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    # replaces whatever the client sent: the replicas trust this hop only
    proxy_set_header X-Forwarded-For \$remote_addr;

    location /webhooks/widget/ {
      proxy_pass http://rasa_replicas;
      # a replica that is down (refused before the request is sent) is skipped; a message
      # is never sent twice
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
    }
    location = / { proxy_pass http://127.0.0.1:$WEB_PORT; }
    location = /widget.js { proxy_pass http://127.0.0.1:$WEB_PORT; }
    location / { return 404; }
  }

  # the model server: loopback only, ETag and If-None-Match as Rasa's model pulling expects
  server {
    listen 127.0.0.1:$MODEL_SERVER_PORT;
    location /models/ { alias $MODELS_DIR/; }
    location / { return 404; }
  }
}
CONF
nginx -t -q -p "$CLUSTER_DIR" -c "$CLUSTER_DIR/nginx.conf"
nginx -p "$CLUSTER_DIR" -c "$CLUSTER_DIR/nginx.conf" -g 'daemon off;' &
remember nginx $!

# every replica loads its model from the model server: it must serve one
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$MODEL_SERVER_PORT/models/current.tar.gz" && break
  sleep 0.2
done
if ! curl -fsS -o /dev/null "http://127.0.0.1:$MODEL_SERVER_PORT/models/current.tar.gz"; then
  echo "The model server cannot serve $MODELS_DIR/current.tar.gz (nginx's workers must be" \
    "able to read it; see $CLUSTER_DIR/nginx-error.log)." >&2
  exit 1
fi

"$BIN/python" -m clinic_server.action_server --port "$ACTIONS_PORT" &
remember actions $!
"$BIN/python" -m clinic_office.notifier &
remember notifier $!
"$BIN/python" -m webapp --host 127.0.0.1 --port "$WEB_PORT" --rasa-url "$PUBLIC_URL" &
remember webapp $!
# The staff studio's publishing worker (its pages are on the web app, which the gateway never
# passes /staff to): it hands published models to MODELS_DIR, which every replica polls.
# STUDIO_WORKER=0 leaves it out (`make bench-load` does: its background work would share
# the cores being measured).
if [[ "${STUDIO_WORKER:-1}" != 0 ]]; then
  MODELS_DIR="$MODELS_DIR" "$BIN/python" -m clinic_server.studio_worker &
  remember worker $!
fi

n=0
for port in $REPLICA_PORTS; do
  n=$((n + 1))
  "$BIN/python" -m clinic_server.rasa_server --model "" --interface 127.0.0.1 --port "$port" \
    --endpoints endpoints-cluster.yml --credentials "$CLUSTER_DIR/credentials.yml" &
  remember "rasa$n" $!
done

for _ in $(seq 1 240); do
  ready=1
  for port in $REPLICA_PORTS; do
    curl -fsS "http://127.0.0.1:$port/webhooks/widget/" >/dev/null 2>&1 || ready=0
  done
  if [[ $ready == 1 ]] && curl -fsS "http://$GATEWAY_HOST:$GATEWAY_PORT/" >/dev/null 2>&1; then
    cat <<MSG

The cluster is ready: $PUBLIC_URL/ (replicas on $REPLICA_PORTS).
Publish a new model to every replica, with no restart: make publish
Press Ctrl-C to stop.
MSG
    touch "$CLUSTER_DIR/ready"
    break
  fi
  if ! kill -0 "${pids[@]}" 2>/dev/null; then
    echo "The cluster failed to start; see the messages above." >&2
    exit 1
  fi
  sleep 1
done
# one process ending (a replica stopped, say) leaves the others serving
wait "${pids[@]}"
