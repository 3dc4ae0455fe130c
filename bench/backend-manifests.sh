#!/usr/bin/env bash
# Prints the manifests every benchmark shares: our default IngressClass and Service "backend"
# with one endpoint, 127.0.0.1:PORT; with HOST, also an Ingress sending every path of HOST
# there, and any other host too (h2load names the address it connects to); else the benchmark
# adds its own Ingress.
# Usage: bench/backend-manifests.sh PORT [HOST]
set -euo pipefail
cat <<YAML
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: portico, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: portico.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: backend-1, labels: {kubernetes.io/service-name: backend}}
addressType: IPv4
ports: [{name: http, port: ${1:?PORT}}]
endpoints: [{addresses: [127.0.0.1]}]
YAML
if [ -n "${2:-}" ]; then
  cat <<YAML
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site}
spec:
  defaultBackend: {service: {name: backend, port: {number: 80}}}
  rules:
  - host: $2
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: backend, port: {number: 80}}}}
YAML
fi
