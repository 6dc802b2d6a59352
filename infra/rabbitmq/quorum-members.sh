#!/bin/sh
# One-shot of docker-compose.cluster.yml, run once the three nodes are up:
#   quorum-members.sh rabbit@rabbitmq-1 rabbit@rabbitmq-2 rabbit@rabbitmq-3
#
# Node 1 imports definitions.json before the other nodes have joined, and a quorum queue gets
# members on the nodes the cluster has when it is declared: one. This adds a member on every other
# node (`rabbitmq-queues grow`, a no-op for a queue that has one there) and exits non-zero, naming
# the queue, unless every quorum queue of the vhost has one member per node. The services start
# only after it succeeded. Queues declared later, with the three nodes up, get three at once.
set -eu
[ "$#" -ge 1 ] || {
  echo "usage: $0 <node> [<node>...]" >&2
  exit 64
}
first=$1
vhost=${RABBITMQ_VHOST:-shop}

for node in "$@"; do
  rabbitmq-queues -q -n "$first" grow "$node" all --vhost-pattern "^${vhost}\$" --queue-pattern '.*' --errors-only
done

# Every line must read: name, type, [members]. Anything else (an unresponsive queue, a timeout)
# fails the check; it is retried for a minute while new members catch up.
check() {
  rabbitmqctl -q -n "$first" list_queues -p "$vhost" --no-table-headers --timeout 20 name type members >/tmp/queues 2>&1 || return 1
  awk -v want="$#" '
    !($2 ~ /^(quorum|classic|stream)$/ && $3 ~ /^\[/) { print "unexpected line: " $0; bad++; next }
    $2 == "quorum" { quorum++; n = gsub(/rabbit@/, "&"); if (n != want) { print "quorum queue " $1 " has " n " members, not " want; bad++ } }
    END {
      if (quorum == 0) { print "no quorum queue in the vhost: were the definitions loaded?"; bad++ }
      if (bad) exit 1
      print quorum " quorum queues, each with " want " members"
    }' /tmp/queues >/tmp/verdict
}

attempt=1
until check "$@"; do
  if [ "$attempt" -ge 6 ]; then
    cat /tmp/queues /tmp/verdict >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 10
done
cat /tmp/queues /tmp/verdict
