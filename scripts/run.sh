#!/usr/bin/env bash
# Start the action server (5055), the notifier, the demo website and staff studio (8080), the
# model server (5057), the studio's publishing worker and the Rasa server (5005) in the
# foreground.
# Ctrl-C stops both. Both listen on 127.0.0.1 only unless HOST says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
# Conversations and booking requests hold health information: every file the processes make
# (the SQLite databases, the widget secret) is readable by this user only.
umask 077

HOST="${HOST:-127.0.0.1}"
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
BIN=.venv/bin
pids=()

stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the assistant..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# Conversations persist (conversations.db in the data folder, CLINIC_DATA_DIR or var/, unless
# CONVERSATIONS_DATABASE_URL says otherwise), so the widget's signing secret must too: one is
# made once, readable only here.
DATA_DIR="${CLINIC_DATA_DIR:-var}"
if [[ -z "${WIDGET_SECRET:-}" ]]; then
  mkdir -p "$DATA_DIR"
  if [[ ! -s "$DATA_DIR/widget-secret" ]]; then
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(36))' > "$DATA_DIR/widget-secret")
  fi
  WIDGET_SECRET="$(tr -d '[:space:]' < "$DATA_DIR/widget-secret")"
  export WIDGET_SECRET
fi

# The action server listens on 127.0.0.1 (ACTIONS_HOST) and answers only calls carrying the
# shared secret, which the Rasa server sends (endpoints.yml). A random one per start if unset.
if [[ -z "${ACTION_SECRET:-}" && -z "${ACTION_SECRET_FILE:-}" ]]; then
  ACTION_SECRET="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(36))')"
fi
if [[ -z "${ACTION_SECRET:-}" ]]; then
  ACTION_SECRET="$(tr -d '[:space:]' < "$ACTION_SECRET_FILE")"
fi
export ACTION_SECRET ACTIONS_PORT
# One computing thread per process: a replica handles one message at a time, and BLAS and
# TensorFlow threads spinning beside it took a second core for nothing (docs/benchmark.md)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}" TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
"$BIN/python" -m clinic_server.action_server --port "$ACTIONS_PORT" &
pids+=($!)

# Retention: idle conversations and finished booking requests older than RETENTION_DAYS
# (30) are deleted now and then daily.
# (the sleep runs as a child the loop waits for, so that stopping the loop stops it too)
(
  trap 'kill "${nap:-}" 2>/dev/null; exit 0' TERM INT
  while true; do
    "$BIN/python" -m clinic_office.retention || true
    sleep 86400 & nap=$!
    wait "$nap"
  done
) &
pids+=($!)

# Delivers staff notifications of booking requests from the database outbox.
"$BIN/python" -m clinic_office.notifier &
pids+=($!)

# Rasa's HTTP API, which the staff studio's "try a question" asks: on, behind a JWT whose
# secret is made per start and shown nowhere, unless RASA_ENABLE_API says otherwise
# (RASA_ENABLE_API=0: off; the try box then says so).
if [[ -z "${RASA_ENABLE_API:-}" ]]; then
  RASA_ENABLE_API=1
  if [[ -z "${RASA_JWT_SECRET:-}" && -z "${RASA_JWT_SECRET_FILE:-}" ]]; then
    RASA_JWT_SECRET="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(36))')"
    export RASA_JWT_SECRET
  fi
fi
export RASA_ENABLE_API

# The demo clinic website with the widget embedded, and the staff studio (/staff).
"$BIN/python" -m webapp --host "$HOST" --port "${WEB_PORT:-8080}" \
  --rasa-url "http://localhost:$RASA_PORT" --rasa-api-url "http://127.0.0.1:$RASA_PORT" &
pids+=($!)

# The model the Rasa server loads, from a loopback model server it polls (endpoints-run.yml):
# the staff studio's publishes (MODELS_DIR) reach it with no restart. A model newer than the
# published one (a fresh `make train`) is published first.
export MODEL_SERVER_PORT="${MODEL_SERVER_PORT:-5057}"
MODELS_DIR="${MODELS_DIR:-$(pwd)/build/cluster/models}"
export MODELS_DIR
mkdir -p "$MODELS_DIR"
if [[ ! -s "$MODELS_DIR/current.tar.gz" || models/current.tar.gz -nt "$MODELS_DIR/current.tar.gz" ]]; then
  install -m 644 models/current.tar.gz "$MODELS_DIR/.current.tar.gz"
  mv "$MODELS_DIR/.current.tar.gz" "$MODELS_DIR/current.tar.gz"
fi
"$BIN/python" -m clinic_server.model_server --port "$MODEL_SERVER_PORT" --dir "$MODELS_DIR" &
pids+=($!)

# The staff studio's publishing worker: one publish at a time, outside the web app.
"$BIN/python" -m clinic_server.studio_worker &
pids+=($!)

# The HTTP API is off unless RASA_ENABLE_API=1 (then behind a JWT: RASA_JWT_SECRET or
# RASA_JWT_SECRET_FILE); the REST channel only with REST_TOKEN (credentials-rest.yml).
credentials=credentials.yml
if [[ -n "${REST_TOKEN:-}" ]]; then
  credentials=credentials-rest.yml
  export REST_TOKEN
fi
HOST="$HOST" "$BIN/python" -m clinic_server.rasa_server --model "" \
  --interface "$HOST" --port "$RASA_PORT" --endpoints endpoints-run.yml --credentials "$credentials" &
pids+=($!)

for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$RASA_PORT/webhooks/widget/" >/dev/null 2>&1; then
    cat <<MSG

The assistant is ready.
  Open the demo clinic page with the chat widget:  http://localhost:${WEB_PORT:-8080}/
  Only the widget's channel answers; README.md ("What each setting opens") says how to
  open the REST channel or the HTTP API to a developer.
Press Ctrl-C to stop.
MSG
    break
  fi
  if ! kill -0 "${pids[@]}" 2>/dev/null; then
    echo "The assistant failed to start; see the messages above." >&2
    exit 1
  fi
  sleep 1
done
wait -n "${pids[@]}"
