# numbers-mock as a container: the Bird and Vobiz mocks on 0.0.0.0:8080. Published for each
# release as ghcr.io/numbers-mock/numbers-mock:<version> (.github/workflows/release.yml).
#
#   docker build -t numbers-mock .
#   docker run --rm -p 8080:8080 numbers-mock
#   docker run --rm -p 8080:8080 -v "$PWD/my-scenario.yaml:/scenarios/my.yaml:ro" \
#     -e MOCKSERVER_SCENARIO=/scenarios/my.yaml numbers-mock
#
# Every setting is a MOCKSERVER_* variable (README.md#configuration); flags after the image
# name are passed to `mockserver` (e.g. `docker run numbers-mock --seed 7`). Prefer
# MOCKSERVER_PORT to --port: the health check reads the variable.

# Build stage: the project and its dependencies into a virtualenv, built from
# pyproject.toml (the one list of dependencies). Every dependency ships binary wheels, so
# no compiler is needed; the build frontend, pip's cache, binutils and the sources stay here.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
# strip: some wheels ship their extension modules with debug info (uvloop's is 14 MB, 2 MB
# without); dropping it saves about 15 MB of the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
COPY specs ./specs
COPY fixtures ./fixtures
# --without-pip: the runtime venv holds the app and its dependencies only; the base
# image's pip installs into it.
RUN python -m venv --without-pip /opt/numbers-mock \
    && python -m pip --python /opt/numbers-mock/bin/python install . \
    && find /opt/numbers-mock -name '*.so' -exec strip --strip-debug {} + \
    && /opt/numbers-mock/bin/mockserver --version
# The parsed specs, plans and built-in scenarios, kept as JSON (mockserver/resources.py):
# filled once here, so no container start parses YAML (the runtime user cannot write a
# cache: its home does not exist).
ENV XDG_CACHE_HOME=/opt/numbers-mock/cache
RUN /opt/numbers-mock/bin/python -c "from mockserver import create_app; create_app()" \
    && test -n "$(ls /opt/numbers-mock/cache/numbers-mock)"

# Runtime stage: the same base (the venv's interpreter is the base's), the venv, a user.
FROM python:3.11-slim
ENV PATH=/opt/numbers-mock/bin:$PATH \
    XDG_CACHE_HOME=/opt/numbers-mock/cache \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080
RUN groupadd --gid 10001 numbers-mock \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin numbers-mock
COPY --from=build /opt/numbers-mock /opt/numbers-mock
# Mount scenario files here (read-only is enough); a relative MOCKSERVER_SCENARIO starts here.
WORKDIR /scenarios
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080
# No curl in the image: the venv's Python asks the control plane, on the port the server
# was given through MOCKSERVER_PORT. A refused connection or a non-2xx status exits 1.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/_mock/health' % os.environ.get('MOCKSERVER_PORT', '8080'), timeout=2)"]
# Exec form: mockserver is PID 1 and gets docker stop's SIGTERM itself (it exits 0).
ENTRYPOINT ["mockserver"]
CMD []
