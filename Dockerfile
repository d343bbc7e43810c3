# CLIPER in one image: the same steps as `make run` (scripts/setup.sh installs everything).
# Build: docker build -t cliper .   Run: docker run -p 8000:8000 -v cliper-data:/app/var cliper
# Roles by command: web (default), worker: `docker run ... cliper .venv/bin/python manage.py worker`
# Serving a real host name: -e ALLOWED_HOSTS=clips.example.org -e CSRF_TRUSTED_ORIGINS=https://clips.example.org
FROM python:3.12-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    CLIPER_PYTHON=/usr/local/bin/python3.12 \
    CLIPER_BIND=0.0.0.0:8000 \
    ALLOWED_HOSTS=localhost,127.0.0.1 \
    CSRF_TRUSTED_ORIGINS=http://localhost:8000,http://127.0.0.1:8000

WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends make procps \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them.
COPY requirements.lock pyproject.toml ./
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh && rm -rf /root/.cache /var/lib/apt/lists/*

COPY . .
RUN .venv/bin/python manage.py collectstatic --noinput -v 0

VOLUME ["/app/var"]
EXPOSE 8000
CMD ["bash", "scripts/run.sh"]
