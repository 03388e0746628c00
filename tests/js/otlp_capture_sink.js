#!/usr/bin/env node
// A loopback OTLP/HTTP sink that saves every request body as it arrived, for fixtures:
//
//   otlp_capture_sink.js PORT DIR
//
// POST /v1/{traces,metrics,logs} → DIR/<signal>-<n>.<pb|json> (by Content-Type), answered
// 200 with an empty body of the same type (an empty Export*ServiceResponse). Prints
// "listening" when ready; runs until killed. Used by scripts/capture_genai_spans.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');

const [port, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
const counts = {};
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const signal = (req.url.match(/\/v1\/(traces|metrics|logs)/) || [])[1];
    const type = req.headers['content-type'] || '';
    if (req.method !== 'POST' || !signal) {
      res.writeHead(404);
      res.end();
      return;
    }
    counts[signal] = (counts[signal] || 0) + 1;
    const ext = type.includes('json') ? 'json' : 'pb';
    fs.writeFileSync(path.join(dir, `${signal}-${counts[signal]}.${ext}`), Buffer.concat(chunks));
    res.writeHead(200, { 'Content-Type': ext === 'json' ? 'application/json' : 'application/x-protobuf' });
    res.end(ext === 'json' ? '{}' : '');
  });
}).listen(Number(port), '127.0.0.1', () => console.log('listening'));
