#!/bin/sh
# Points nginx's run-time resolver (see storefront.conf) at the container engine's DNS server,
# which knows the compose service names: Docker's embedded 127.0.0.11, podman's network gateway.
# It is the first nameserver in /etc/resolv.conf; the others (podman lists the host's) do not know
# the service names, and nginx would take their "not found" for an answer. IPv6 needs brackets.
set -eu
server=$(awk '$1 == "nameserver" { print ($2 ~ /:/ ? "[" $2 "]" : $2); exit }' /etc/resolv.conf)
echo "resolver ${server:-127.0.0.11} valid=10s ipv6=off;" > /tmp/nginx-resolver.conf
exec "$@"
