# DipCheck: the Flask app under gunicorn, as a non-root user.
# Build: docker build -t dipcheck .      Run with Elasticsearch and Redis: docker compose up
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /app
# The source tree stays in /app (editable install): the outreach pages read training_content/
# beside the packages, and gunicorn reads /app/gunicorn.conf.py from the working directory.
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY lookup ./lookup
COPY search_index ./search_index
COPY outreach ./outreach
COPY training_content ./training_content
RUN pip install -e . \
    && python -c "import lookup, search_index, outreach, gunicorn, elasticsearch, redis"

# A fixed, unprivileged user; the only writable place is the data volume.
RUN groupadd --system --gid 10001 dipcheck \
    && useradd --system --uid 10001 --gid dipcheck --home-dir /var/lib/dipcheck --create-home \
       --shell /usr/sbin/nologin dipcheck
USER dipcheck:dipcheck
ENV DIPCHECK_DATA_DIR=/var/lib/dipcheck \
    GUNICORN_BIND=0.0.0.0:8000
VOLUME ["/var/lib/dipcheck"]
EXPOSE 8000

# Liveness only (the process answers); load balancers should use /readyz, which also checks the
# index, the published data and the state store.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["gunicorn"]
