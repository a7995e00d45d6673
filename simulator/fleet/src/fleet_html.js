// Draws the fleet report's plots as SVG from the report's JSON in #fleet-report (fleet_html.cpp
// embeds both in the page). Each plot marks its <svg> with data-drawn="N" (the lines or bars it
// drew; 0 when there is no data) once it is done; <body> gets data-ready="1" once every plot has
// been attempted, and data-error="..." when one failed (the page's tests read these).
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const MILESTONES = ['started', 'connected', 'job', 'downloaded', 'rebooted', 'done', 'failed'];
  const PHASES = ['connect', 'job_received', 'first_byte', 'download', 'apply', 'reboot',
    'confirmed', 'end_to_end'];
  const MILESTONE_COLORS = {
    started: '#8c96a8', connected: '#2f6fdb', job: '#7b4bd6', downloaded: '#e08a00',
    rebooted: '#0f9fae', done: '#1f8a4c', failed: '#c0392b',
  };
  const PHASE_COLORS = ['#2f6fdb', '#7b4bd6', '#d6457b', '#e08a00', '#8a6d3b', '#0f9fae',
    '#5b8c1f', '#1d2433'];

  // ---- helpers --------------------------------------------------------------------------------

  function el(parent, name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const key of Object.keys(attributes || {})) {
      node.setAttribute(key, attributes[key]);
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    parent.appendChild(node);
    return node;
  }

  function countText(n) {
    return Math.round(n).toLocaleString('en-US');
  }

  function msText(ms) {
    if (ms < 1000) {
      return (ms < 10 ? +ms.toFixed(1) : Math.round(ms)) + ' ms';
    }
    const s = ms / 1000;
    if (s < 60) {
      return +s.toFixed(s < 10 ? 2 : 1) + ' s';
    }
    if (s < 3600) {
      return +(s / 60).toFixed(1) + ' min';
    }
    return +(s / 3600).toFixed(1) + ' h';
  }

  // Log-axis ticks (1, 2, 5 x 10^k ms) in ms or whole seconds.
  function axisMsText(ms) {
    return ms < 1000 ? ms + ' ms' : ms / 1000 + ' s';
  }

  function secondsText(s) {
    if (s < 60) {
      return s + ' s';
    }
    if (s < 3600) {
      return s % 60 === 0 ? s / 60 + ' min' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    }
    return s % 3600 === 0 ? s / 3600 + ' h' : +(s / 3600).toFixed(2) + ' h';
  }

  // Ticks 0, step, 2 step, ... covering [0, top] with a step from `steps` (about `count` ticks).
  function ticksFrom(top, count, steps) {
    const raw = Math.max(top, 1) / count;
    let step = steps[steps.length - 1];
    for (const candidate of steps) {
      if (candidate >= raw) {
        step = candidate;
        break;
      }
    }
    while (step < raw) {
      step *= 10;
    }
    const ticks = [];
    for (let v = 0; v < top + step; v += step) {
      ticks.push(v);
      if (v >= top) {
        break;
      }
    }
    return ticks;
  }

  function countTicks(top) {
    const steps = [];
    for (let power = 1; power <= 1e12; power *= 10) {
      steps.push(power, 2 * power, 5 * power);
    }
    return ticksFrom(top, 5, steps);
  }

  function secondTicks(top) {
    return ticksFrom(top, 8, [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
      14400, 21600, 43200, 86400]);
  }

  // 1, 2, 5 x 10^k in [lo, hi] (only the powers of ten when that gives enough ticks).
  function logTicks(lo, hi) {
    const all = [];
    const tens = [];
    for (let power = Math.pow(10, Math.floor(Math.log10(lo))); power <= hi; power *= 10) {
      for (const m of [1, 2, 5]) {
        const v = m * power;
        if (v >= lo * 0.999 && v <= hi * 1.001) {
          all.push(v);
          if (m === 1) {
            tens.push(v);
          }
        }
      }
    }
    return tens.length >= 3 ? tens : all;
  }

  function linear(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }

  function logarithmic(d0, d1, r0, r1) {
    const l0 = Math.log10(d0);
    const k = (r1 - r0) / (Math.log10(d1) - l0);
    return (v) => r0 + (Math.log10(v) - l0) * k;
  }

  function frame(svg, margin) {
    const box = svg.getAttribute('viewBox').split(/\s+/).map(Number);
    return {
      left: margin.left, top: margin.top, right: box[2] - margin.right,
      bottom: box[3] - margin.bottom, width: box[2], height: box[3],
    };
  }

  function xAxis(svg, f, ticks, sx, format, label) {
    const grid = el(svg, 'g', { class: 'grid' });
    const axis = el(svg, 'g', { class: 'axis' });
    el(axis, 'line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom });
    for (const t of ticks) {
      const x = sx(t).toFixed(1);
      el(grid, 'line', { x1: x, x2: x, y1: f.top, y2: f.bottom });
      el(axis, 'line', { x1: x, x2: x, y1: f.bottom, y2: f.bottom + 4 });
      el(axis, 'text', { x: x, y: f.bottom + 16, 'text-anchor': 'middle' }, format(t));
    }
    if (label) {
      el(axis, 'text', { x: (f.left + f.right) / 2, y: f.height - 4, 'text-anchor': 'middle' },
        label);
    }
  }

  function yAxis(svg, f, ticks, sy, format, label) {
    const grid = el(svg, 'g', { class: 'grid' });
    const axis = el(svg, 'g', { class: 'axis' });
    el(axis, 'line', { x1: f.left, x2: f.left, y1: f.top, y2: f.bottom });
    for (const t of ticks) {
      const y = sy(t).toFixed(1);
      el(grid, 'line', { x1: f.left, x2: f.right, y1: y, y2: y });
      el(axis, 'text', { x: f.left - 6, y: y, dy: '0.32em', 'text-anchor': 'end' }, format(t));
    }
    if (label) {
      const x = 12;
      const y = (f.top + f.bottom) / 2;
      el(axis, 'text', { x: x, y: y, transform: `rotate(-90 ${x} ${y})`, 'text-anchor': 'middle' },
        label);
    }
  }

  function noData(svg, f, text) {
    el(svg, 'text', { x: f.width / 2, y: f.height / 2, 'text-anchor': 'middle', class: 'empty' },
      text);
    svg.setAttribute('data-drawn', '0');
  }

  // Names in the usual order first, then any others the report holds.
  function ordered(known, object) {
    const keys = Object.keys(object || {});
    return known.filter((k) => keys.includes(k)).concat(keys.filter((k) => !known.includes(k)));
  }

  // Histogram buckets (fleet_metrics.hpp): exact below 32 ms, then 16 per power of two.
  function bucketHigh(low) {
    if (low < 32) {
      return low;
    }
    return low + Math.pow(2, Math.floor(Math.log2(low)) - 4) - 1;
  }

  // A bucket's span on a log axis: [low, high + 1), with 0 ms drawn from 0.5 ms.
  function bucketFrom(low) {
    return Math.max(low, 0.5);
  }

  function bucketTo(low) {
    return bucketHigh(low) + 1;
  }

  function filledBuckets(histogram) {
    return ((histogram && histogram.buckets) || []).filter((b) => b[1] > 0);
  }

  function logDomain(lo, hi) {
    let d0 = Math.pow(10, Math.floor(Math.log10(lo)));
    let d1 = Math.pow(10, Math.ceil(Math.log10(hi)));
    if (d1 <= d0) {
      d1 = d0 * 10;
    }
    return [d0, d1];
  }

  function pathData(points) {
    return points.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1))
      .join(' ');
  }

  function legend(svg, x, y, color, text) {
    el(svg, 'line', { x1: x, x2: x + 18, y1: y, y2: y, stroke: color, 'stroke-width': 3 });
    el(svg, 'text', { x: x + 24, y: y, dy: '0.32em', class: 'legend' }, text);
  }

  // ---- milestones over time -------------------------------------------------------------------

  function drawTimeline(svg, report) {
    const metrics = report.metrics;
    const milestones = metrics.timeline.milestones || {};
    const series = [];
    let seconds = 0;
    let top = metrics.devices || 0;
    for (const name of ordered(MILESTONES, milestones)) {
      const counts = milestones[name] || [];
      if (!counts.length) {
        continue;
      }
      const cumulative = [0];
      for (const n of counts) {
        cumulative.push(cumulative[cumulative.length - 1] + n);
      }
      const total = cumulative[cumulative.length - 1];
      series.push({ name: name, cumulative: cumulative, total: total });
      seconds = Math.max(seconds, counts.length);
      top = Math.max(top, total);
    }
    const f = frame(svg, { left: 70, right: 170, top: 14, bottom: 42 });
    if (!series.length) {
      noData(svg, f, 'No milestones were recorded.');
      return;
    }
    const yTicks = countTicks(top);
    const xTicks = secondTicks(seconds);
    const sy = linear(0, yTicks[yTicks.length - 1], f.bottom, f.top);
    const sx = linear(0, xTicks[xTicks.length - 1], f.left, f.right);
    yAxis(svg, f, yTicks, sy, countText, 'devices');
    const start = new Date(metrics.timeline.start_unix_s * 1000).toISOString().slice(11, 19);
    xAxis(svg, f, xTicks, sx, secondsText, `time since the first milestone (${start} UTC)`);
    if (metrics.devices > 0) {
      const y = sy(metrics.devices).toFixed(1);
      const marker = el(svg, 'g', { class: 'marker' });
      el(marker, 'line', { x1: f.left, x2: f.right, y1: y, y2: y });
      el(marker, 'text', { x: f.left + 4, y: +y - 4 }, `${countText(metrics.devices)} devices`);
    }
    series.forEach((s, i) => {
      const color = MILESTONE_COLORS[s.name] || PHASE_COLORS[i % PHASE_COLORS.length];
      const points = s.cumulative.map((v, second) => [sx(second), sy(v)]);
      const path = el(svg, 'path', {
        class: 'series', 'data-series': s.name, d: pathData(points), fill: 'none',
        stroke: color, 'stroke-width': 2.2, 'stroke-linejoin': 'round',
      });
      el(path, 'title', {}, `${s.name}: ${countText(s.total)} devices`);
      legend(svg, f.right + 16, f.top + 10 + i * 22, color, `${s.name}  ${countText(s.total)}`);
    });
    svg.setAttribute('data-drawn', String(series.length));
  }

  // ---- latency: cumulative share per phase ----------------------------------------------------

  function drawCdf(svg, report) {
    const phases = report.metrics.phases || {};
    const drawn = [];
    let lo = Infinity;
    let hi = 0;
    for (const name of ordered(PHASES, phases)) {
      const buckets = filledBuckets(phases[name]);
      if (buckets.length) {
        drawn.push({ name: name, buckets: buckets, histogram: phases[name] });
        lo = Math.min(lo, bucketFrom(buckets[0][0]));
        hi = Math.max(hi, bucketTo(buckets[buckets.length - 1][0]));
      }
    }
    const f = frame(svg, { left: 70, right: 250, top: 14, bottom: 42 });
    if (!drawn.length) {
      noData(svg, f, 'No phase has samples.');
      return;
    }
    const [d0, d1] = logDomain(lo, hi);
    const sx = logarithmic(d0, d1, f.left, f.right);
    const sy = linear(0, 1, f.bottom, f.top);
    yAxis(svg, f, [0, 0.25, 0.5, 0.75, 1], sy, (v) => v * 100 + ' %', 'share of devices');
    xAxis(svg, f, logTicks(d0, d1), sx, axisMsText, 'latency (log scale)');
    const marker = el(svg, 'g', { class: 'marker' });
    for (const [q, label] of [[0.9, 'p90'], [0.99, 'p99']]) {
      el(marker, 'line', { x1: f.left, x2: f.right, y1: sy(q), y2: sy(q) });
      el(marker, 'text', { x: f.right - 4, y: sy(q) - 3, 'text-anchor': 'end' }, label);
    }
    drawn.forEach((phase, i) => {
      const color = PHASE_COLORS[PHASES.indexOf(phase.name) >= 0 ? PHASES.indexOf(phase.name) : i];
      const total = phase.buckets.reduce((sum, b) => sum + b[1], 0);
      let seen = 0;
      const points = [[sx(bucketFrom(phase.buckets[0][0])), sy(0)]];
      for (const [low, n] of phase.buckets) {
        points.push([sx(bucketFrom(low)), sy(seen / total)]);
        seen += n;
        points.push([sx(bucketTo(low)), sy(seen / total)]);
      }
      const path = el(svg, 'path', {
        class: 'series', 'data-series': phase.name, d: pathData(points), fill: 'none',
        stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round',
      });
      const h = phase.histogram;
      el(path, 'title', {}, `${phase.name}: p50 ${msText(h.p50_ms)}, p99 ${msText(h.p99_ms)}`);
      legend(svg, f.right + 16, f.top + 10 + i * 22, color,
        `${phase.name}  ${msText(h.p50_ms)} / ${msText(h.p99_ms)}`);
    });
    el(svg, 'text', { x: f.right + 16, y: f.top + 10 + drawn.length * 22 + 6 }, 'p50 / p99');
    svg.setAttribute('data-drawn', String(drawn.length));
  }

  // ---- latency: one histogram per phase -------------------------------------------------------

  function drawPhase(svg, report) {
    const name = svg.getAttribute('data-phase');
    const histogram = (report.metrics.phases || {})[name];
    const buckets = filledBuckets(histogram);
    const f = frame(svg, { left: 52, right: 14, top: 26, bottom: 36 });
    if (!buckets.length) {
      noData(svg, f, 'No samples.');
      return;
    }
    const [d0, d1] = logDomain(bucketFrom(buckets[0][0]), bucketTo(buckets[buckets.length - 1][0]));
    const sx = logarithmic(d0, d1, f.left, f.right);
    const yTicks = countTicks(Math.max(...buckets.map((b) => b[1])));
    const sy = linear(0, yTicks[yTicks.length - 1], f.bottom, f.top);
    yAxis(svg, f, yTicks, sy, countText);
    xAxis(svg, f, logTicks(d0, d1), sx, axisMsText, 'latency (log scale)');
    const color = PHASE_COLORS[Math.max(PHASES.indexOf(name), 0)];
    for (const [low, n] of buckets) {
      const x0 = sx(bucketFrom(low));
      const y = sy(n);
      const bar = el(svg, 'rect', {
        class: 'bar', x: x0.toFixed(2), y: y.toFixed(2),
        width: Math.max(sx(bucketTo(low)) - x0 - 0.3, 1).toFixed(2),
        height: Math.max(f.bottom - y, 1).toFixed(2), fill: color,
      });
      const high = bucketHigh(low);
      el(bar, 'title', {}, `${low === high ? low : low + '–' + high} ms: ${countText(n)}`);
    }
    const marker = el(svg, 'g', { class: 'marker' });
    for (const [label, key] of [['p50', 'p50_ms'], ['p99', 'p99_ms']]) {
      const x = sx(Math.max(histogram[key], 0.5)).toFixed(1);
      el(marker, 'line', { x1: x, x2: x, y1: f.top, y2: f.bottom });
      el(marker, 'text', { x: x, y: f.top - 3, 'text-anchor': 'middle' }, label);
    }
    el(svg, 'text', { x: f.left, y: 11, class: 'legend' },
      `n ${countText(histogram.count)} · p50 ${msText(histogram.p50_ms)} · p90 ` +
      `${msText(histogram.p90_ms)} · p99 ${msText(histogram.p99_ms)} · max ` +
      `${msText(histogram.max_ms)}`);
    svg.setAttribute('data-drawn', String(buckets.length));
  }

  // ---- main -----------------------------------------------------------------------------------

  function fail(where, error) {
    const message = where + ': ' + (error && error.message ? error.message : String(error));
    const previous = document.body.getAttribute('data-error');
    document.body.setAttribute('data-error', previous ? previous + '; ' + message : message);
    const note = document.createElement('div');
    note.className = 'script-error';
    note.textContent = 'A plot could not be drawn. ' + message;
    const main = document.querySelector('main') || document.body;
    main.insertBefore(note, main.firstChild);
  }

  let report = null;
  try {
    report = JSON.parse(document.getElementById('fleet-report').textContent);
  } catch (error) {
    fail('the report data', error);
  }
  if (report) {
    const plots = [[document.getElementById('plot-timeline'), drawTimeline, 'milestones'],
      [document.getElementById('plot-cdf'), drawCdf, 'latency']];
    for (const svg of document.querySelectorAll('svg.plot-phase')) {
      plots.push([svg, drawPhase, 'phase ' + svg.getAttribute('data-phase')]);
    }
    for (const [svg, draw, name] of plots) {
      try {
        draw(svg, report);
      } catch (error) {
        fail(name, error);
      }
    }
  }
  document.body.setAttribute('data-ready', '1');
})();
