# Layerlab in a container: `docker compose up` builds and runs this (see docker-compose.yml).
# The GPU image is the same file built with REQUIREMENTS=requirements-gpu.txt.
FROM python:3.12-slim

# Which pinned set to install: requirements.txt (CPU) or requirements-gpu.txt (CUDA 12 plugin and wheels).
ARG REQUIREMENTS=requirements.txt

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JAX_PLATFORMS=cpu \
    LAYERLAB_HOST=0.0.0.0 \
    LAYERLAB_PORT=8000 \
    LAYERLAB_EXECUTABLES=/cache/executables \
    LAYERLAB_DATA_DIR=/data

RUN useradd --create-home --uid 10001 --user-group layerlab \
    && mkdir -p /cache/executables /data \
    && chown layerlab:layerlab /cache/executables /data

WORKDIR /app

# Dependencies first, so a change to the code does not reinstall them.
# Both files are copied: requirements-gpu.txt includes requirements.txt.
COPY requirements.txt requirements-gpu.txt ./
RUN pip install --no-cache-dir -r "${REQUIREMENTS}"

# api/app.py serves the page from ../../frontend, so the two folders sit side by side.
COPY backend/ backend/
COPY frontend/ frontend/

USER layerlab
EXPOSE 8000

# Healthy once the server answers and its warm-up compile is done ("ready": true). Measured on two cores
# (docker-check, Intel Xeon, 2 December 2026): healthy 33 s after the container started with an empty
# compilation cache (the first health check after ready; 50 s with the test suite running beside it), ready
# 3 s after a restart with the cache volume filled (its executables are loaded, not rebuilt). The start period allows
# about four times the cold start for a slower or busier host. Failures inside the start period do not
# count, and the first success marks it healthy at once.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import json, os, sys, urllib.request; reply = urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('LAYERLAB_PORT', '8000'), timeout=4); sys.exit(0 if json.load(reply).get('ready') is True else 1)"]

# uvicorn finishes open requests within LAYERLAB_SHUTDOWN_SECONDS of this signal.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "backend"]
