# Every image of the shop, from the repository root (the context is the whole pnpm workspace):
#   docker build --target service --build-arg SERVICE=order-service --build-arg PORT=3001 .
#   docker build --target service --build-arg SERVICE=inventory-service --build-arg PORT=3002 .
#   docker build --target service --build-arg SERVICE=notification-service --build-arg PORT=3003 .
#   docker build --target service --build-arg SERVICE=payment-service --build-arg PORT=3004 .
#   docker build --target service --build-arg SERVICE=payment-provider --build-arg PORT=4010 .
#   docker build --target storefront .
# The images share the install stages, so the workspace is installed once. Plain Dockerfile syntax
# (no BuildKit-only features): docker-compose 1.29, BuildKit and buildah/podman all build it.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG NGINX_IMAGE=nginx:1.27-alpine

# ---- manifests: just what `pnpm install` reads. Editing a source file changes nothing here, so
# the install layer below stays cached until a package.json or the lock file changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /repo
COPY . .
RUN find . -type f ! -name package.json ! -name pnpm-lock.yaml ! -name pnpm-workspace.yaml ! -name .npmrc -delete \
 && find . -mindepth 1 -type d -empty -delete

# ---- deps: the whole workspace installed from the lock file.
FROM ${NODE_IMAGE} AS deps
# corepack's signature check fails behind some registry proxies; a pinned global install does not.
# Same version as package.json's packageManager, so pnpm does not try to switch itself.
RUN npm install -g pnpm@10.34.8 && npm cache clean --force
WORKDIR /repo
COPY --from=manifests /repo ./
RUN pnpm install --frozen-lockfile

# ---- libs-build: every workspace lib compiled once (tsc -b, in dependency order), one layer that
# every service image shares: an edit in a service alone reuses it, and the services' images do not
# compile the same libs once each.
FROM deps AS libs-build
COPY tsconfig.base.json tsconfig.build.json ./
COPY libs/ libs/
RUN pnpm --filter "./libs/*" build

# ---- service-build: a Node service (SERVICE: order-, inventory-, notification- or payment-service,
# or payment-provider, the card processor's stand-in: any workspace package with dist/main.js) on
# the compiled libs.
FROM libs-build AS service-build
ARG SERVICE
COPY apps/${SERVICE}/ apps/${SERVICE}/
RUN pnpm --filter "@shop/${SERVICE}" build
# A self-contained copy of the service: production dependencies only, at the versions of the
# lock file, with the workspace libs copied in (their dist/ included) rather than symlinked.
# pnpm 10's deploy wants inject-workspace-packages for that; setting it for this command only
# leaves the workspace (and its lock file) as it is. Then drop what never runs: sources, tests
# and build configs of the workspace packages; type declarations, source maps and readmes of
# all packages (about half of node_modules; licences stay).
RUN pnpm --config.inject-workspace-packages=true --filter "@shop/${SERVICE}" deploy --prod --offline /out \
 && rm /out/pnpm-lock.yaml \
 && for dir in /out /out/node_modules/.pnpm/@shop+*/node_modules/@shop/*; do \
      rm -rf "$dir/src" "$dir/test" "$dir/Dockerfile" "$dir/jest.config.js" "$dir"/tsconfig*.json "$dir/dist/.tsbuildinfo"; \
    done \
 && find /out -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) ! -iname 'licen[cs]e*' -delete

# ---- service: node, the compiled service and its production node_modules; nothing else.
FROM ${NODE_IMAGE} AS service
ARG PORT=3001
# V8's heap, sized for a service, not for the host: left alone on a large host, V8 lets the old
# generation grow to about four times what is live before it collects, with 16 MB semi-spaces, so a
# service whose live heap is 45 MB sat at 230-310 MB resident under load; in a container Node sizes
# the heap from the memory limit, to about the limit itself, leaving no room for the rest of the
# process. A 384 MB old generation (V8 then grows it by about 1.35 between collections) and 4 MB
# semi-spaces: 115-150 MB resident at any load the bench offers, for about 10 % more CPU in the
# Node processes (more collections). The bench starts its services with this line
# (bench/src/processes.ts), so it measures what deploys; bench/README.md has the figures, and
# deploy/README.md how to raise it with a pod's memory limit.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=${PORT} \
    NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=4"
WORKDIR /app
# Owned by root and read-only for the service's user: the process cannot rewrite its own code.
COPY --from=service-build /out ./
USER node
EXPOSE ${PORT}
# Ready means the service answers and its database does (see libs/platform/src/health.ts).
# No spaces inside the arguments: podman's Docker-compatible API splits them on whitespace.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]

# ---- build: type-check and bundle (apps/storefront/dist). The build reads nothing outside its own
# package but its workspace dependencies: the app compiles libs/contracts' sources into the bundle
# (see vite.config.ts), and the browser tests' harness, type-checked with the app, imports
# libs/testing. CI builds this image from a clean copy of the tracked files, so a file forgotten here fails there.
FROM deps AS storefront-build
COPY tsconfig.base.json ./
COPY libs/contracts/ libs/contracts/
COPY libs/testing/ libs/testing/
COPY apps/storefront/ apps/storefront/
RUN pnpm --filter @shop/storefront... build

# ---- storefront: nginx with the static files; no node, no node_modules.
FROM ${NGINX_IMAGE} AS storefront
# Our own nginx.conf instead of the image's, so nginx runs unprivileged (pid and temp files in
# /tmp, port 8080); the entrypoint finds the container's DNS server for run-time name resolution.
COPY infra/nginx/nginx.conf /etc/nginx/nginx.conf
COPY infra/nginx/storefront.conf /etc/nginx/conf.d/default.conf
COPY infra/nginx/proxy-params.conf /etc/nginx/proxy-params.conf
# The storefront package owns its security headers: vite preview sends the same file (vite.config.ts).
COPY apps/storefront/security-headers.conf /etc/nginx/security-headers.conf
COPY infra/nginx/storefront-entrypoint.sh /usr/local/bin/storefront-entrypoint.sh
COPY infra/nginx/storefront-healthcheck.sh /usr/local/bin/storefront-healthcheck
COPY --from=storefront-build /repo/apps/storefront/dist /usr/share/nginx/html
# Unprivileged: uid/gid 101 is the official image's nginx user (any would do: files are world-readable).
USER 101:101
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/storefront-healthcheck"]
ENTRYPOINT ["/usr/local/bin/storefront-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
