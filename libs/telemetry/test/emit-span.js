// A service's entry point in miniature, run as its own process (Jest's VM refuses the dynamic
// imports the SDK's exporter and detectors use): start telemetry first, record one span, exit gracefully.
const { startTelemetryOrExit, shutdownTelemetry } = require('../dist');

startTelemetryOrExit('emit-span');
const { trace } = require('@opentelemetry/api');
trace.getTracer('emit-span').startSpan('an order placed').end();
void shutdownTelemetry();
