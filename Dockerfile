# The barapp web app. Build: docker build -t barapp .   (docker compose does it for you)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY src/barapp/__init__.py src/barapp/__init__.py
RUN pip install -e .

COPY src ./src
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations

RUN useradd --create-home --uid 1000 barapp && mkdir -p /app/data && chown barapp /app/data
USER barapp

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["barapp", "serve", "--host", "0.0.0.0", "--port", "8000"]
