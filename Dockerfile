# Build a wheel in one stage, install it into a clean virtual environment in the next; the image
# runs `workorders serve` as an unprivileged user. Configure it with WORKORDERS_* variables.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --quiet --upgrade pip
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
# The same install the Makefile does, minus the development extras and the editable mode.
RUN /opt/venv/bin/pip install --quiet --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --create-home workorders
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WORKORDERS_ENV=production
WORKDIR /app
USER workorders
EXPOSE 8000
# Ready means the database answers and is migrated (compose.yaml checks the same).
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
ENTRYPOINT ["workorders"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
