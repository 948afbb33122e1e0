# The image a fleet job runs (`dreaming schedule --k8s --stores ... --shards N` prints the CronJob).
#   docker build -t dreaming:latest .
# A slim Python base, the package installed with its object-storage extra, a non-root user.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY dreaming ./dreaming
RUN pip install ".[s3]" && rm -rf /app/build

# the manifest runs the pod as this user (runAsUser 10001, runAsNonRoot) with /scratch as TMPDIR
RUN groupadd --gid 10001 dreaming \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin dreaming \
    && mkdir -p /scratch && chown dreaming:dreaming /scratch
USER 10001:10001
ENV TMPDIR=/scratch
WORKDIR /home/dreaming

ENTRYPOINT ["dreaming"]
CMD ["--help"]
