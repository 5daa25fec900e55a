#!/bin/sh
# Starts the Sluice app named by SERVICE (exec: node receives the signals tini forwards).
set -eu
cd /app
case "${SERVICE:-}" in
  migrate)
    exec node dist/libs/db/src/cli.js "$@"
    ;;
  ingest-gateway | stream-transformer | aggregator | actuator-controller | notifier | simulator)
    exec node "dist/apps/${SERVICE}/src/main.js" "$@"
    ;;
  *)
    echo "SERVICE must be one of: ingest-gateway, stream-transformer, aggregator," \
      "actuator-controller, notifier, simulator, migrate (got \"${SERVICE:-}\")" >&2
    exit 64
    ;;
esac
