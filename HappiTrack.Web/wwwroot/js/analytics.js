// Draws the /analytics charts from the JSON data blocks the page embeds (<script type="application/json">),
// so no inline script is needed under the strict CSP.
(function () {
  'use strict';

  var palette = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#a855f7', '#14b8a6', '#f97316'];

  function readJson(el) {
    try { return JSON.parse(el.textContent || 'null'); } catch (e) { return null; }
  }

  function drawChart(spec, canvas) {
    if (typeof window.Chart !== 'function') return;
    var single = spec.datasets.length === 1;
    var doughnut = spec.type === 'doughnut';
    var datasets = spec.datasets.map(function (ds, i) {
      var color = palette[i % palette.length];
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: doughnut ? (spec.colors || palette).slice(0, ds.data.length) : (spec.type === 'line' ? color : color + 'cc'),
        borderColor: doughnut ? '#ffffff' : color,
        borderWidth: spec.type === 'line' ? 2 : 1,
        tension: 0.25,
        pointRadius: spec.labels.length > 45 ? 0 : 2,
        fill: false
      };
    });
    var scales = doughnut ? {} : {
      x: { beginAtZero: true, ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: true }
    };
    if (spec.percent && !doughnut) scales[spec.horizontal ? 'x' : 'y'].max = 100;
    // Stacked series hold one grouping each (zeros elsewhere), so each bar shows its own group's colour.
    if (spec.stacked && !doughnut) { scales.x.stacked = true; scales.y.stacked = true; }
    // Horizontal bars get room for every label instead of squeezing into the default height.
    if (spec.horizontal && canvas.parentElement) canvas.parentElement.style.height = Math.max(320, spec.labels.length * 22 + 60) + 'px';
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 300 },
        plugins: { legend: { display: doughnut || !single, position: 'bottom' } },
        scales: scales
      }
    });
  }

  // A faint outline of a typical store page (header, hero, grid) so the grid cells have context.
  function drawPageOutline(ctx, w, h) {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = 'rgba(100, 116, 139, 0.35)';
    ctx.fillStyle = 'rgba(148, 163, 184, 0.12)';
    ctx.lineWidth = 1;
    var pad = w * 0.04;
    ctx.fillRect(0, 0, w, h * 0.08);
    ctx.strokeRect(pad, h * 0.12, w - 2 * pad, h * 0.28);
    var cols = 4, gap = w * 0.02, cardW = (w - 2 * pad - (cols - 1) * gap) / cols;
    for (var row = 0; row < 2; row++) {
      for (var c = 0; c < cols; c++) {
        ctx.strokeRect(pad + c * (cardW + gap), h * (0.45 + row * 0.27), cardW, h * 0.23);
      }
    }
  }

  function drawHeatmap(data, canvas) {
    var ctx = canvas.getContext('2d');
    if (!ctx) return;
    var w = canvas.width, h = canvas.height, n = data.size;
    drawPageOutline(ctx, w, h);
    var max = 0;
    data.counts.forEach(function (v) { if (v > max) max = v; });
    var cw = w / n, ch = h / n;
    for (var y = 0; y < n; y++) {
      for (var x = 0; x < n; x++) {
        var v = data.counts[y * n + x];
        if (!v) continue;
        var t = v / max;
        // Cool (blue) to hot (red), more opaque where hotter.
        var hue = 220 - 220 * t;
        ctx.fillStyle = 'hsla(' + hue + ', 90%, 50%, ' + (0.15 + 0.6 * t) + ')';
        ctx.fillRect(x * cw, y * ch, cw, ch);
      }
    }
    ctx.strokeStyle = 'rgba(100, 116, 139, 0.5)';
    ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
    if (!max) {
      ctx.fillStyle = '#64748b';
      ctx.font = '16px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('No pointer data for this range', w / 2, h / 2);
    }
  }

  function init() {
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
      var spec = readJson(el);
      var canvas = document.getElementById(el.getAttribute('data-chart'));
      if (spec && canvas) drawChart(spec, canvas);
    });
    document.querySelectorAll('script[type="application/json"][data-heatmap]').forEach(function (el) {
      var data = readJson(el);
      var canvas = document.getElementById(el.getAttribute('data-heatmap'));
      if (data && canvas) drawHeatmap(data, canvas);
    });
    document.querySelectorAll('form[data-autosubmit] select').forEach(function (select) {
      select.addEventListener('change', function () { select.form.submit(); });
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
