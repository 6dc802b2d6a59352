#!/bin/sh
# Container healthcheck of the storefront: nginx answers its /healthz. curl where the base image
# has it (official nginx images, Debian), busybox wget otherwise.
url=http://127.0.0.1:8080/healthz
if command -v curl >/dev/null 2>&1; then
  exec curl -fsS -o /dev/null "$url"
fi
exec wget -q -O /dev/null "$url"
