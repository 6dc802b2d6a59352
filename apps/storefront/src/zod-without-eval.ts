import { z } from 'zod';

// The shop runs under a CSP without 'unsafe-eval' (apps/storefront/security-headers.conf). zod compiles
// object parsers with new Function when its schemas are built, and probes for it even when that
// fails, which the browser reports as a violation. Imported first by main.tsx, before any schema exists.
z.config({ jitless: true });
