# Portico's container image: built on Debian 12 with the project's own scripts, run on a slim
# Debian 12 with only the runtime libraries, as a non-root user that needs no capability.
#   docker build -t portico .
#   docker run --rm -p 8080:8080 -v $PWD/examples/blog/compose/manifests:/manifests:ro portico \
#     --manifests /manifests --http-listen 0.0.0.0:8080
# script/image builds it with podman where no registry can be reached, and runs it as the
# chart does. The `echo` stage is the test backend (portico-echo), for the compose example.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN apt-get update -qq \
 && script/bootstrap \
 && TARGETS="portico portico-echo" script/build Release

FROM debian:12-slim AS echo
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libssl3 libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/portico-echo /usr/local/bin/portico-echo
ENTRYPOINT ["/usr/local/bin/portico-echo"]

FROM debian:12-slim AS portico
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libssl3 libnghttp2-14 libyaml-0-2 libcpp-httplib0.11 libpcre2-8-0 libcrypt1 libstdc++6 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin portico
COPY --from=build /src/build/bin/portico /usr/local/bin/portico
USER 65532:65532
# Unprivileged ports, so no capability is ever needed (the chart's Service maps 80/443 to
# them); 10254 is the admin port.
EXPOSE 8080 8443 10254
ENTRYPOINT ["/usr/local/bin/portico"]
