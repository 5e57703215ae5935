// hubjobs dashboard: live updates over Server-Sent Events and a few conveniences.
// Written for this dashboard; no libraries. Job data is only ever inserted with textContent.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base || "";
  var page = body.dataset.page || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function seg(value) { return encodeURIComponent(value); }
  function jobPath(value) { return value.split("/").map(encodeURIComponent).join("/"); }

  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { timer = null; fn(); }, ms);
    };
  }

  function showStatus(text, isError) {
    var el = document.getElementById("action-status");
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.classList.remove("hidden");
  }

  // ---------------------------------------------------------------- confirmations and selection
  document.addEventListener("click", function (ev) {
    var target = ev.target;
    if (!(target instanceof Element)) { return; }
    var button = target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) { return; }
    var form = box.closest("form");
    if (!form) { return; }
    form.querySelectorAll('input[type="checkbox"][name="job_id"], input[type="checkbox"][name="ref"]')
      .forEach(function (c) { c.checked = box.checked; });
  });

  // ---------------------------------------------------------------- actions without reloading
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      var submitter = ev.submitter;
      if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
      fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, body: j }; });
      }).then(function (res) {
        if (!res.ok) { showStatus(res.body.error || "The action failed.", true); return; }
        var skipped = Object.keys(res.body.skipped || {}).length;
        showStatus(res.body.action + ": " + res.body.count + " done" + (skipped ? ", " + skipped + " skipped" : "") + ".", false);
        if (res.body.action === "remove" && res.body.count) {
          window.location.href = base + "/queues/" + seg(body.dataset.queue);
          return;
        }
        refreshJob();
      }).catch(function () { showStatus("The action failed.", true); });
    });
  });

  // ---------------------------------------------------------------- live pages
  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }

  function fmtTime(ts) {
    if (ts === null || ts === undefined) { return "—"; }
    return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function showProgress(value) {  // a bar and its number, as the page renders them
    var cell = document.getElementById("job-progress");
    if (!cell) { return; }
    var bar = cell.querySelector("progress");
    if (!bar) {
      cell.textContent = "";
      bar = document.createElement("progress");
      bar.max = 100;
      bar.setAttribute("aria-label", "Progress");
      cell.appendChild(bar);
      cell.appendChild(document.createTextNode(""));
    }
    bar.value = value;
    bar.textContent = value + "%";
    cell.lastChild.textContent = " " + value + "%";
  }

  function refreshJob() {
    var queue = body.dataset.queue, id = body.dataset.jobId;
    if (!queue || !id) { return; }
    getJSON(base + "/api/queues/" + seg(queue) + "/jobs/" + jobPath(id)).then(function (job) {
      var section = document.getElementById("job");
      if (section) { section.setAttribute("data-job-state", job.state); }
      var badge = document.getElementById("job-state");
      if (badge) { badge.textContent = job.state; badge.className = "badge state-" + job.state; }
      setText("job-attempts", job.attempts_made + " of " + job.max_attempts);
      setText("job-started", fmtTime(job.started_at));
      setText("job-finished", fmtTime(job.finished_at));
      if (typeof job.progress === "number") { showProgress(job.progress); }
      var reason = document.getElementById("job-failed-reason");
      if (reason) {
        reason.textContent = job.failed_reason || "";
        reason.classList.toggle("hidden", !job.failed_reason);
      }
      var logs = document.getElementById("job-logs");
      if (logs) {
        logs.textContent = "";
        job.logs.forEach(function (line) {
          var li = document.createElement("li");
          var t = document.createElement("time");
          t.textContent = fmtTime(line.at);
          var span = document.createElement("span");
          span.textContent = line.line;
          li.appendChild(t); li.appendChild(document.createTextNode(" ")); li.appendChild(span);
          logs.appendChild(li);
        });
        if (!job.logs.length) {
          var empty = document.createElement("li");
          empty.className = "empty"; empty.textContent = "No log lines.";
          logs.appendChild(empty);
        }
      }
    }).catch(function () { /* the job may have been removed */ });
  }

  function updateCounts(container, counts) {
    Object.keys(counts).forEach(function (state) {
      var el = container.querySelector('[data-count="' + state + '"]');
      if (el) { el.textContent = String(counts[state]); }
    });
  }

  function refreshOverview() {
    getJSON(base + "/api/queues").then(function (res) {
      var totals = {};
      res.queues.forEach(function (q) {
        Object.keys(q.counts).forEach(function (s) { totals[s] = (totals[s] || 0) + q.counts[s]; });
        var row = null;
        document.querySelectorAll("tr[data-queue]").forEach(function (r) { if (r.dataset.queue === q.name) { row = r; } });
        if (!row) { return; }
        updateCounts(row, q.counts);
        var badge = row.querySelector("[data-paused]");
        if (badge) { badge.textContent = q.paused ? "paused" : "running"; badge.className = "badge " + (q.paused ? "paused" : "running"); }
        var line = row.querySelector("svg.spark polyline");
        if (line && q.throughput) { line.setAttribute("points", sparkPoints(q.throughput)); }
      });
      Object.keys(totals).forEach(function (s) { setText("total-" + s, String(totals[s])); });
    }).catch(function () {});
  }

  function sparkPoints(series) {
    var values = series.map(function (m) { return m.completed + m.failed; });
    var top = Math.max.apply(null, values.concat([1]));
    var step = 120 / Math.max(values.length - 1, 1);
    return values.map(function (v, i) { return (i * step).toFixed(1) + "," + (23 - (v / top) * 22).toFixed(1); }).join(" ");
  }

  function refreshQueue() {
    var queue = body.dataset.queue;
    getJSON(base + "/api/queues/" + seg(queue)).then(function (q) {
      var tabs = document.querySelector("nav.tabs");
      if (tabs) { updateCounts(tabs, q.counts); }
      var badge = document.getElementById("queue-paused");
      if (badge) { badge.textContent = q.paused ? "paused" : "running"; badge.className = "badge " + (q.paused ? "paused" : "running"); }
    }).catch(function () {});
  }

  function markRow(ev) {
    if (!ev.job_id) { return; }
    var states = { waiting: 1, active: 1, completed: 1, failed: 1, delayed: 1 };
    var state = ev.event === "retrying" ? "delayed" : ev.event;
    if (!states[state]) { return; }
    document.querySelectorAll("tr[data-job-id]").forEach(function (row) {
      if (row.dataset.jobId === ev.job_id && row.dataset.queue === ev.queue) {
        var badge = row.querySelector("[data-job-state]");
        if (badge) { badge.textContent = state; badge.className = "badge state-" + state; }
      }
    });
  }

  function concerns(ev, jobId) {
    if (ev.job_id === jobId) { return true; }
    var ids = ev.data && ev.data.job_ids;
    if (ev.event === "admin" && ids && (ids.indexOf(jobId) >= 0 || ids.length < (ev.data.count || 0) || !ids.length)) { return true; }
    return false;
  }

  // ---------------------------------------------------------------- charts, redrawn by the server while open
  // The chart section comes from this app's own /charts page (numbers and fixed labels; any
  // name in it escaped by the template), parsed inert by DOMParser: no script runs from it.
  var CHART_REFRESH_MS = 15000;
  var charts = document.getElementById("charts");
  function showLatest() {  // on a narrow screen the chart scrolls: start at its newest end
    var box = charts && charts.querySelector(".chart-box");
    if (box) { box.scrollLeft = box.scrollWidth; }
  }
  showLatest();
  if (charts) {
    setInterval(function () {
      if (document.hidden || !charts) { return; }
      var q = charts.dataset.chartQueue;
      var url = base + "/charts?range=" + seg(charts.dataset.chartRange || "hour") + (q ? "&queue=" + seg(q) : "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("charts");
          if (fresh && charts) { charts.replaceWith(fresh); charts = fresh; showLatest(); }
        }).catch(function () {});
    }, CHART_REFRESH_MS);
  }

  // While a job runs, its log and progress are re-read every LOG_POLL_MS (log lines publish no event).
  var LOG_POLL_MS = 2000;
  if (page === "job") {
    setInterval(function () {
      var section = document.getElementById("job");
      if (!document.hidden && section && section.getAttribute("data-job-state") === "active") { refreshJob(); }
    }, LOG_POLL_MS);
  }

  var handlers = null;
  if (page === "job") {
    var refreshJobSoon = debounce(refreshJob, 150);
    handlers = function (ev) { if (concerns(ev, body.dataset.jobId)) { refreshJobSoon(); } };
  } else if (page === "overview") {
    handlers = debounce(refreshOverview, 300);
  } else if (page === "queue" || page === "search" || page === "dead-letters") {
    var refreshQueueSoon = page === "queue" ? debounce(refreshQueue, 300) : function () {};
    handlers = function (ev) { markRow(ev); refreshQueueSoon(); };
  }

  if (handlers && window.EventSource) {
    var url = base + "/api/events";
    if (body.dataset.queue) { url += "?queue=" + seg(body.dataset.queue); }
    var source = new EventSource(url);
    var indicator = document.getElementById("live-status");
    source.onopen = function () { if (indicator) { indicator.classList.add("on"); indicator.title = "Live updates on"; } };
    source.onerror = function () { if (indicator) { indicator.classList.remove("on"); indicator.title = "Reconnecting…"; } };
    source.addEventListener("job", function (msg) {
      var ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      handlers(ev);
    });
    source.addEventListener("resync", function () {
      if (page === "job") { refreshJob(); } else if (page === "overview") { refreshOverview(); } else if (page === "queue") { refreshQueue(); }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
})();
