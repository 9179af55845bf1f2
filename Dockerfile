# One image for every service, the gateway and (later) the upload workers; the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# WeasyPrint (printed documents) lays out text with Pango; Noto CJK sets zh-TW and is embedded in every PDF.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY shared ./shared
COPY services ./services
COPY gateway ./gateway
COPY deploy/seed_demo.py ./deploy/seed_demo.py
COPY deploy/national_sim ./deploy/national_sim
RUN useradd --system --uid 10001 licheng && install -d -o licheng /var/lib/national-sim
USER licheng
ENV PYTHONPATH=/app
CMD ["python", "-m", "services.run", "--list"]
