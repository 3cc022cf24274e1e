# monitor in a container: the config is mounted at /config, the database lives in /data.
#   docker build -t monitor .
#   docker run -v monitor-data:/data monitor
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 monitor \
    && mkdir -p /data /config && chown monitor:monitor /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# The shipped config resolves `database = "../data/monitor.db"` to /data/monitor.db here.
COPY config /config
USER monitor
VOLUME ["/data"]
ENV MONITOR_CONFIG=/config/monitor.toml
ENTRYPOINT ["monitor"]
CMD ["run"]
