// Empty states that say how to send data: the source documents' collector pipeline and SDK
// snippets, filled in with this server's address. The server's OTLP/HTTP listener is a separate
// port (`astrolabe server --otlp-http`, default 4318) on the same host as this page.
import { h } from './dom';

export function otlpEndpoint(): string {
  return `${location.protocol}//${location.hostname}:4318`;
}

export function collectorConfig(target = '<NIM-endpoint>:8000', job = 'nim-metrics'): string {
  return `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: ${job}
          scrape_interval: 10s
          honor_labels: false
          static_configs:
            - targets: ["${target}"]
processors:
  cumulativetodelta:
    max_staleness: 25h
exporters:
  otlphttp:
    endpoint: ${otlpEndpoint()}/api/v2/otlp
    headers:
      Authorization: "Api-Token \${env:DT_API_TOKEN}"
extensions:
  health_check: {}
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [prometheus]
      processors: [cumulativetodelta]
      exporters: [otlphttp]`;
}

export function sdkSnippet(): string {
  return `# Any OpenTelemetry SDK (Python, Node, Go, Java…): traces, metrics and logs over OTLP/HTTP
export OTEL_EXPORTER_OTLP_ENDPOINT=${otlpEndpoint()}
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Api-Token $DT_API_TOKEN"
export OTEL_SERVICE_NAME=my-llm-app

# Python + OpenLLMetry: GenAI spans of OpenAI, Anthropic, LangChain… calls
pip install traceloop-sdk
python -c 'from traceloop.sdk import Traceloop; Traceloop.init()'   # at your app's start

# Node + the OpenAI instrumentation
npm i @opentelemetry/sdk-node @opentelemetry/instrumentation-openai`;
}

function codeBlock(text: string): HTMLElement {
  const pre = h('pre', { class: 'code' }, text);
  const copy = h('button', { class: 'btn small copy', type: 'button', onclick: () => {
    void navigator.clipboard?.writeText(text).then(() => (copy.textContent = 'Copied'));
  } }, 'Copy');
  return h('div', { class: 'code-wrap' }, copy, pre);
}

// The "no data yet" panel: what to point at this server, with a token.
export function emptyState(what = 'No GenAI data in this time range yet.'): HTMLElement {
  return h('div', { class: 'empty-state' },
    h('h2', null, what),
    h('p', null, 'Astrolabe shows what NIM, vLLM, Triton and Kong AI Gateway expose, and the GenAI spans of instrumented apps. ',
      'Create a token with ', h('code', null, 'astrolabe token create --name ingest --scopes metrics.ingest,openTelemetryTrace.ingest,logs.ingest'),
      ', export it as ', h('code', null, 'DT_API_TOKEN'), ', then send data one of these ways (or run ', h('code', null, 'astrolabe demo'), ' to see everything with simulated services).'),
    h('div', { class: 'grid two' },
      h('div', null, h('h4', null, 'Scrape NIM / vLLM / Kong with a collector'),
        h('p', { class: 'muted' }, 'astrolabe collector --config collector.yaml (any OpenTelemetry Collector works too; Kong: job kong, target kong-metrics.kong:8100)'),
        codeBlock(collectorConfig())),
      h('div', null, h('h4', null, 'Send GenAI spans from your app'),
        h('p', { class: 'muted' }, 'The OTLP/HTTP endpoint of this server (port of --otlp-http, 4318 by default).'),
        codeBlock(sdkSnippet()))));
}
