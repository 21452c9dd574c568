# Benchmark-only layer on top of the sandbox image: Debian's ipykernel and jupyter_client, so the
# benchmark can compare codecell's kernel with Jupyter's in the same container. Never used by codecell.
ARG BASE
FROM ${BASE}
USER root
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-ipykernel python3-jupyter-client \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
USER 1000
