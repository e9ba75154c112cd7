FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY leadflow leadflow
COPY dealers dealers
COPY leads leads
COPY followup followup
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build-only LEADFLOW_ENV_FILE= python manage.py collectstatic --no-input
RUN useradd --create-home leadflow && mkdir -p /app/var && chown leadflow /app/var
USER leadflow
EXPOSE 8000
ENV LEADFLOW_BIND=0.0.0.0 PORT=8000
CMD ["gunicorn", "leadflow.wsgi", "--config", "python:leadflow.gunicorn_conf"]
