"""A wish becomes a cocktail: the routes, the job, the live renderer, the fair queue, the event
log, the Ollama client, the prompt and schema, the streaming JSON parser."""
