#!/usr/bin/env bash
# `make run`: the development server. Without a STRIPE_SECRET_KEY (environment or .env), it also
# starts localstripe, the Stripe-compatible server from PyPI, on port 8420 and registers the
# app's webhook with it, so the whole payment flow works on a fresh machine with no Stripe account.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

if [ -z "${STRIPE_SECRET_KEY:-}" ] && ! grep -qs '^STRIPE_SECRET_KEY=..*' "${ENV_FILE:-.env}"; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/8420) 2>/dev/null; then
    "$BIN/python" -m localstripe --port 8420 --from-scratch >.localstripe.log 2>&1 &
    localstripe_pid=$!
    trap 'kill "$localstripe_pid" 2>/dev/null || true' EXIT
  fi
  "$BIN/python" manage.py localstripe_webhook --url "http://$HOST:$PORT/api/v1/payments/webhook/"
fi
"$BIN/python" manage.py runserver "$HOST:$PORT"
