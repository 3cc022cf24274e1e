# monitor in a container: the config lives in /config, the database and the Maildir in /data.
#
#   docker build -t monitor .
#   docker run -d --name monitor -v monitor-data:/data -e MONITOR_SMTP_PASSWORD monitor
#   docker exec monitor monitor hits --since 7d         # any command, same config and data
#   docker run --rm -v "$PWD/my-config:/config:ro" -v monitor-data:/data monitor check-config
#
# or `docker compose up -d` with compose.yaml. Needs BuildKit (the default builder of
# Docker 23 and later) or Podman/Buildah for the RUN --mount below. Behind a proxy that
# intercepts TLS, hand pip its CA bundle as a build secret, which no layer keeps:
#   docker build --secret id=pip_cert,src=/etc/ssl/certs/ca-certificates.crt -t monitor .
# .ci/container builds and smoke-tests this image with Podman.

# --- build: every wheel the application needs, monitor's own included ----------------------
FROM python:3.11-slim AS build
# Another index than PyPI: --build-arg PIP_INDEX_URL=... (this stage only, not the image).
ARG PIP_INDEX_URL=https://pypi.org/simple
WORKDIR /src
# The dependencies first, from pyproject.toml alone, so that a change to the code (or the
# README) reuses this layer and rebuilds offline. No compilers: every dependency has a
# wheel for x86_64 and arm64; elsewhere add build-essential to this stage, never the final.
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi \
    && python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); \
           print(*p["project"]["dependencies"], *p["build-system"]["requires"], sep="\n")' \
       > /tmp/requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.txt
COPY README.md LICENSE ./
COPY monitor ./monitor
# Offline: setuptools for the isolated build comes from /wheels too. The digests of the
# wheels go beside them for the final stage (below).
RUN pip wheel --no-cache-dir --no-index --find-links=/wheels --no-deps --wheel-dir /wheels . \
    && sha256sum /wheels/*.whl > /wheels.sha256

# --- final: the wheels installed into a plain python:3.11-slim, nothing else ------------------
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The wheels are mounted from the build stage for this one step, not copied: a COPY would
# leave them in a layer of the image even after an `rm`. --no-index: nothing but those wheels.
# A builder's cache does not look into a bind mount, so without the digests copied first
# a rebuild after a change to the code would reuse the layer of the old install.
COPY --from=build /wheels.sha256 /usr/local/share/monitor/wheels.sha256
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels monitor

# A fixed uid, so a bind-mounted host folder can be given to it: chown 10001 ./data
RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid monitor --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin monitor \
    && mkdir -p /data \
    && chown monitor:monitor /data \
    && chmod 0750 /data

# The shipped configuration; mount your own folder over /config (read-only is enough: the
# daemon never writes there). Its `database = "../data/monitor.db"` resolves against the
# config file's folder, /config, so the database is /data/monitor.db, and the alert Maildir
# (by default beside the database) /data/maildir: both in the volume below. A config of your
# own keeps that line, or names an absolute path under /data.
COPY config /config
ENV MONITOR_CONFIG=/config/monitor.toml

# After the chown above: a new named volume starts with this folder's owner and mode.
VOLUME ["/data"]
WORKDIR /data
# Numeric, so that a runtime can tell it is not root without reading /etc/passwd
# (Kubernetes' runAsNonRoot). It is the user `monitor` created above.
USER 10001:10001

# The review page, when the container runs `serve --host 0.0.0.0 --port 8080`.
# (The Prometheus endpoint, when the config sets [metrics] port, also needs
# host = "0.0.0.0" there and a port mapping of its own.)
EXPOSE 8080

# Exit 0 when the daemon's heartbeat is recent and the database writable, else 1 with the
# reason, which `docker inspect --format '{{json .State.Health}}' CONTAINER` shows.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["monitor", "health"]

# Exec form: monitor is PID 1 (or tini's only child with `init: true`) and gets SIGTERM
# itself; the daemon lets polls in flight finish their writes, then exits. Give it time:
# `docker stop -t 60`, or stop_grace_period in compose.yaml.
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
