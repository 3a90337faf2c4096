FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY triage triage
COPY migrations migrations
COPY models models
COPY templates templates
RUN pip install --no-cache-dir -e .
EXPOSE 5000 2525
CMD ["triage", "up"]
