#!/bin/sh
# Starts Ollama, then pulls the bar's default model if it is not there yet (first start only:
# the model stays in the ollama volume).
set -e
ollama serve &
server=$!
until ollama list >/dev/null 2>&1; do sleep 1; done
if ! ollama list | awk 'NR > 1 {print $1}' | grep -qx "$OLLAMA_DEFAULT_MODEL"; then
  echo "pulling $OLLAMA_DEFAULT_MODEL (first start; several GB)"
  ollama pull "$OLLAMA_DEFAULT_MODEL"
fi
touch /tmp/model-ready
wait "$server"
