// The first import of main.ts: the OpenTelemetry SDK must start before http, pg and pino are loaded,
// so its instrumentations can patch them. Nothing starts unless OTEL_* variables ask for export.
import { startTelemetryOrExit } from '@shop/telemetry';

startTelemetryOrExit('payment-service');
