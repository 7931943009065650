# syntax=docker/dockerfile:1
# Titanobova backend: wheels built in one stage, a slim runtime without compilers in the next, and
# an nginx image carrying the collected static files.
#
#   docker build --target runtime -t titanobova-web .      (gunicorn; also Celery worker and beat)
#   docker build --target nginx   -t titanobova-nginx .
#
# The same steps run natively in tests/test_production_stack.py: collectstatic with production
# settings, gunicorn with deploy/gunicorn.conf.py, nginx with deploy/nginx/titanobova.conf.template.

ARG PYTHON_VERSION=3.11
# Debian 12 (bookworm): its postgresql-client-15 matches the PostgreSQL 15 server of
# docker-compose.yml (pg_dump refuses to dump a newer server than itself).
ARG DEBIAN_RELEASE=bookworm
ARG POSTGRES_MAJOR=15

# ---- builder: wheels for every dependency ---------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# ---- runtime: the app, run as an unprivileged user -----------------------------------------
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime
ARG POSTGRES_MAJOR
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=titanobova_project.settings \
    STATIC_ROOT=/srv/titanobova/static \
    MEDIA_ROOT=/srv/titanobova/media \
    PRIVATE_MEDIA_ROOT=/srv/titanobova/private \
    BACKUP_DIR=/srv/titanobova/backups \
    LOG_TO_FILES=False \
    GUNICORN_BIND=0.0.0.0:8000
# pg_dump/pg_restore for `manage.py backup_db` / `restore_db`, same major version as the server.
RUN apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_MAJOR}" \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 titanobova \
 && useradd --system --uid 10001 --gid titanobova --home-dir /app --shell /usr/sbin/nologin titanobova
COPY --from=builder /wheels /wheels
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-index --find-links /wheels -r /tmp/requirements.txt && rm -rf /wheels /tmp/requirements.txt
WORKDIR /app
# The code belongs to root: the app user can read it, not change it.
COPY . /app
# Static files collected at build time with the production storage (hashed names, .gz copies).
# The values below exist only so that settings load during the build; none reaches the image's
# environment, and the real ones come from .env.production at run time.
RUN DEBUG=False \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLWtleS0wMDA= \
    BACKUP_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLWtleS0wMDA= \
    ENV_FILE=/nonexistent \
    python manage.py collectstatic --noinput \
 && mkdir -p /srv/titanobova/media /srv/titanobova/private /srv/titanobova/backups \
 && chown -R titanobova:titanobova /srv/titanobova
USER titanobova
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "titanobova_project.wsgi:application"]

# ---- nginx: TLS, static files, rate limits --------------------------------------------------
# Debian's own nginx package, the very one tests/test_production_stack.py and `nginx -t` in CI run
# (1.22 on bookworm), so the config shipped here is the config that was tested.
FROM debian:${DEBIAN_RELEASE}-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx gettext-base ca-certificates \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx/titanobova.conf.template /etc/nginx/templates/titanobova.conf.template
COPY deploy/nginx/entrypoint.sh /usr/local/bin/titanobova-nginx
COPY --from=runtime /srv/titanobova/static /srv/titanobova/static
EXPOSE 80 443
STOPSIGNAL SIGQUIT
ENTRYPOINT ["titanobova-nginx"]
CMD ["nginx", "-g", "daemon off;"]
