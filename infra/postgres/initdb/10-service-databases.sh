#!/usr/bin/env bash
# Database per service: `orders` for order-service, `inventory` for inventory-service,
# `notifications` for notification-service, `payments` for payment-service, and `payment_provider`
# for the card processor's stand-in (not a shop service: it shares only the server), each owned by
# its own login role, and no other role (superuser aside) may connect to it.
#
# Runs once, when the data volume is empty, through the postgres image's /docker-entrypoint-initdb.d
# contract (the image sources *.sh files, with POSTGRES_USER and a running server). Passwords come
# from the compose environment; see .env.example.
set -euo pipefail

create_service_database() {
  local database=$1 role=$2 password=$3
  # Quoted heredoc: psql, not the shell, substitutes :"identifiers" and :'literals' safely.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v database="$database" -v role="$role" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
-- The owner may connect and, through pg_database_owner (PostgreSQL 15+), create tables in its
-- public schema, which is what the service's migrations need; nothing more.
CREATE DATABASE :"database" OWNER :"role";
-- PUBLIC may connect to every new database by default; only the owner may reach this one.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
}

create_service_database orders order_service "${ORDERS_DB_PASSWORD:?set ORDERS_DB_PASSWORD}"
create_service_database inventory inventory_service "${INVENTORY_DB_PASSWORD:?set INVENTORY_DB_PASSWORD}"
create_service_database notifications notification_service "${NOTIFICATIONS_DB_PASSWORD:?set NOTIFICATIONS_DB_PASSWORD}"
create_service_database payments payment_service "${PAYMENTS_DB_PASSWORD:?set PAYMENTS_DB_PASSWORD}"
create_service_database payment_provider payment_provider "${PAYMENT_PROVIDER_DB_PASSWORD:?set PAYMENT_PROVIDER_DB_PASSWORD}"

# The maintenance database stays for the superuser (and healthchecks), not for the services.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;'
