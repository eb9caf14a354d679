# ejia: one image, one process (API + H5 pages). Not built here (no Docker engine on the dev
# machines); kept simple enough to check by reading.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /srv/ejia
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY alembic ./alembic
COPY web ./web
# Editable install: the `ejia` command runs the code in /srv/ejia, beside web/ and alembic/.
RUN /opt/venv/bin/pip install -e .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 EJIA_ENV=prod
RUN useradd --create-home --uid 10001 ejia && mkdir -p /data && chown ejia:ejia /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/ejia /srv/ejia
WORKDIR /data
USER ejia
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# EJIA_SECRET_KEY and DATABASE_URL (postgresql+asyncpg://…) come from the environment.
CMD ["sh", "-c", "ejia migrate && exec ejia serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2}"]
