# The barapp web app. Build: docker build -t barapp .   (docker compose does it for you)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, read from pyproject.toml, so that code changes do not reinstall them.
COPY pyproject.toml README.md /tmp/barapp/
RUN python -c "import tomllib; print(*tomllib.load(open('/tmp/barapp/pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Then barapp itself, a real install (not editable): its wheel carries templates/, static/ and
# migrations/, so the source is not kept in the image.
COPY src /tmp/barapp/src
COPY templates /tmp/barapp/templates
COPY static /tmp/barapp/static
COPY migrations /tmp/barapp/migrations
RUN pip install --no-deps /tmp/barapp && rm -rf /tmp/barapp

RUN useradd --create-home --uid 1000 barapp && mkdir -p /app/data && chown barapp /app/data
USER barapp

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["barapp", "serve", "--host", "0.0.0.0", "--port", "8000"]
