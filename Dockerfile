# One image for the web and worker processes.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libcairo2 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY puchi ./puchi
RUN pip install --no-cache-dir . && pybabel -q compile -d puchi/translations
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY wsgi.py worker.py gunicorn.conf.py babel.cfg ./
RUN flask --app puchi puchi build-icons
RUN useradd --system --uid 10001 puchi && mkdir -p /app/instance && chown puchi /app/instance
USER puchi
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
