// sanctionwatch web UI: plain ES module, no build step. Every string that comes from the API
// (AIS names are broadcast by anyone and carry markup) is inserted with textContent or
// setAttribute, never as HTML.

/* global maplibregl, topojson */

const EVENT_TYPES = [
  ["encounter", "#d7301f"],
  ["loitering", "#fc8d59"],
  ["ais_gap", "#6a3d9a"],
  ["spoofing", "#e7298a"],
  ["identity_change", "#1b7837"],
  ["port_call", "#225ea8"],
  ["zone_entry", "#41b6c4"],
  ["draught_change", "#8c6d31"],
  ["fishing", "#1a9641"],
  ["pair_trawling", "#a6d96a"],
];
const OTHER_COLOUR = "#555555";
const SEA_COLOUR = "#a9c7dc";
const LAND_COLOUR = "#efe9dc";
const PAGE_ROWS = 100;
// More points than this would be slow as one GeoJSON source; the list pages past it anyway.
const MAP_FEATURES_MAX = 5000;
// Track context either side of a replayed encounter, in hours.
const REPLAY_CONTEXT_H = 6;
// Event types whose start-to-end line is drawn: where a ship went dark and reappeared, or jumped.
const JUMP_TYPES = new Set(["ais_gap", "spoofing"]);

// ---------------------------------------------------------------- helpers

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fmtTime(iso) {
  if (!iso) return "";
  return String(iso).replace("T", " ").replace(/(:\d\d)(\.\d+)?(Z|\+00:00)?$/, "$1");
}

function fmtNum(x, digits = 1) {
  return x === null || x === undefined || Number.isNaN(Number(x)) ? "" : Number(x).toFixed(digits);
}

function setStatus(text, isError = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

// ---------------------------------------------------------------- API access

const TOKEN_KEY = "sanctionwatch.token";

function captureToken() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...authHeaders(), ...(options.headers || {}) };
  const resp = await fetch(path, { ...options, headers });
  if (!resp.ok) {
    let detail = `${resp.status} ${resp.statusText}`;
    try {
      const body = await resp.json();
      if (body && body.detail) detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (_) { /* not JSON */ }
    const err = new Error(detail);
    err.status = resp.status;
    throw err;
  }
  const type = resp.headers.get("content-type") || "";
  return type.includes("json") ? resp.json() : resp.text();
}

// Links a browser opens by URL (downloads, the dossier frame) cannot send a header: the API
// takes the token as ?token= on those paths only.
function withToken(href) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return href;
  return `${href}${href.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

function downloadLink(a, href) {
  a.setAttribute("href", withToken(href));
  a.setAttribute("download", "");
}

// ---------------------------------------------------------------- filters

const filterState = {
  types: new Set(),
  since: "",
  until: "",
  zone: "",
  bbox: null, // [minlon, minlat, maxlon, maxlat]
  mmsi: "",
  designated: false,
  dprk: false,
};

function filterParams() {
  const p = new URLSearchParams();
  for (const t of filterState.types) p.append("type", t);
  // datetime-local gives "YYYY-MM-DDTHH:MM"; the API takes ISO 8601 UTC
  if (filterState.since) p.set("since", `${filterState.since.slice(0, 16)}:00Z`);
  if (filterState.until) p.set("until", `${filterState.until.slice(0, 16)}:00Z`);
  if (filterState.zone) p.set("zone", filterState.zone);
  if (filterState.bbox) p.set("bbox", filterState.bbox.map((x) => x.toFixed(4)).join(","));
  if (filterState.mmsi) p.set("mmsi", filterState.mmsi);
  if (filterState.designated) p.set("designated", "true");
  if (filterState.dprk) p.set("dprk", "true");
  return p;
}

function readFilterForm() {
  const form = $("#filters");
  filterState.types = new Set(
    [...form.querySelectorAll("input[name=type]:checked")].map((i) => i.value));
  // every box ticked is the same as no type filter
  if (filterState.types.size === form.querySelectorAll("input[name=type]").length) {
    filterState.types = new Set();
  }
  filterState.since = form.elements.since.value;
  filterState.until = form.elements.until.value;
  filterState.zone = form.elements.zone.value;
  filterState.mmsi = form.elements.mmsi.value.trim();
  filterState.designated = form.elements.designated.checked;
  filterState.dprk = form.elements.dprk.checked;
}

function writeFilterForm() {
  const form = $("#filters");
  for (const box of form.querySelectorAll("input[name=type]")) {
    box.checked = filterState.types.size === 0 || filterState.types.has(box.value);
  }
  form.elements.since.value = filterState.since;
  form.elements.until.value = filterState.until;
  form.elements.zone.value = filterState.zone;
  form.elements.mmsi.value = filterState.mmsi;
  form.elements.designated.checked = filterState.designated;
  form.elements.dprk.checked = filterState.dprk;
  $("#bbox-text").textContent = filterState.bbox
    ? `bbox ${filterState.bbox.map((x) => x.toFixed(2)).join(", ")}` : "";
}

function filtersFromHash(query) {
  const p = new URLSearchParams(query);
  filterState.types = new Set(p.getAll("type"));
  filterState.since = (p.get("since") || "").replace(/:00Z$|Z$/, "").slice(0, 16);
  filterState.until = (p.get("until") || "").replace(/:00Z$|Z$/, "").slice(0, 16);
  filterState.zone = p.get("zone") || "";
  const bbox = (p.get("bbox") || "").split(",").map(Number);
  filterState.bbox = bbox.length === 4 && bbox.every(Number.isFinite) ? bbox : null;
  filterState.mmsi = p.get("mmsi") || "";
  filterState.designated = p.get("designated") === "true";
  filterState.dprk = p.get("dprk") === "true";
}

function updateExportLinks() {
  const q = filterParams().toString();
  for (const a of document.querySelectorAll("[data-export]")) {
    downloadLink(a, `/api/export/events.${a.dataset.export}${q ? `?${q}` : ""}`);
  }
}

// ---------------------------------------------------------------- map

const mapState = {
  map: null,
  ready: null, // Promise resolved when the style and the basemap are loaded
  events: [], // list items shown, in order
  total: 0,
  selected: null, // event_id
  drawing: false,
  replay: null,
  seq: 0, // number of the latest event request
};

function typeColourExpression() {
  const expr = ["match", ["get", "event_type"]];
  for (const [t, c] of EVENT_TYPES) expr.push(t, c);
  expr.push(OTHER_COLOUR);
  return expr;
}

function emptyFC() {
  return { type: "FeatureCollection", features: [] };
}

async function tilesUrl() {
  // An online raster layer only when configured: ?tiles=URL on the page, else the server's config.
  const fromPage = new URL(window.location.href).searchParams.get("tiles");
  if (fromPage) return fromPage;
  try {
    const cfg = await api("/api/config");
    return cfg && cfg.tiles_url ? cfg.tiles_url : null;
  } catch (_) {
    return null;
  }
}

function initMap() {
  if (mapState.map) return mapState.ready;
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js");
  const map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "sea", type: "background", paint: { "background-color": SEA_COLOUR } }],
    },
    center: [124.5, 37.5],
    zoom: 4,
    attributionControl: { compact: true, customAttribution: "Natural Earth (world-atlas)" },
    preserveDrawingBuffer: true,
  });
  mapState.map = map;
  // A handle for the browser console and the end-to-end tests (read-only use).
  window.sanctionwatch = { map };
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
  mapState.ready = new Promise((resolve) => {
    map.on("load", async () => {
      await addBasemap(map);
      addDataLayers(map);
      bindMapEvents(map);
      resolve(map);
    });
  });
  return mapState.ready;
}

async function addBasemap(map) {
  const tiles = await tilesUrl();
  if (tiles) {
    map.addSource("online", { type: "raster", tiles: [tiles], tileSize: 256 });
    map.addLayer({ id: "online", type: "raster", source: "online" });
  }
  try {
    const [land, countries] = await Promise.all([
      fetch("/static/vendor/world-atlas/land-50m.json").then((r) => r.json()),
      fetch("/static/vendor/world-atlas/countries-50m.json").then((r) => r.json()),
    ]);
    map.addSource("land", { type: "geojson", data: topojson.feature(land, land.objects.land) });
    map.addSource("borders", {
      type: "geojson",
      data: topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b),
    });
    if (!tiles) {
      map.addLayer({ id: "land", type: "fill", source: "land", paint: { "fill-color": LAND_COLOUR } });
    }
    map.addLayer({ id: "coast", type: "line", source: "land", paint: { "line-color": "#8a8f95", "line-width": 0.6 } });
    map.addLayer({ id: "borders", type: "line", source: "borders", paint: { "line-color": "#b7a98f", "line-width": 0.6, "line-dasharray": [3, 2] } });
  } catch (e) {
    setStatus(`Basemap not installed (run make install): ${e.message}`, true);
  }
  try {
    const zones = await api("/api/zones");
    map.addSource("zones", { type: "geojson", data: zones });
    map.addLayer({
      id: "zones", type: "fill", source: "zones",
      paint: { "fill-color": ["case", ["to-boolean", ["get", "is_dprk"]], "#d7301f", "#fdae61"], "fill-opacity": 0.12 },
    });
    map.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#b35806", "line-width": 1 } });
    const select = $("#filters").elements.zone;
    const feats = [...zones.features].sort((a, b) => String(a.properties.name).localeCompare(String(b.properties.name)));
    for (const f of feats) {
      select.append(el("option", { value: f.properties.zone_id, text: f.properties.name }));
    }
    select.value = filterState.zone;
  } catch (e) {
    setStatus(`Zones: ${e.message}`, true);
  }
}

function addDataLayers(map) {
  map.addSource("bbox", { type: "geojson", data: emptyFC() });
  map.addLayer({ id: "bbox", type: "fill", source: "bbox", paint: { "fill-color": "#0570b0", "fill-opacity": 0.1 } });
  map.addLayer({ id: "bbox-line", type: "line", source: "bbox", paint: { "line-color": "#0570b0", "line-width": 1.5 } });
  map.addSource("tracks", { type: "geojson", data: emptyFC() });
  map.addLayer({
    id: "tracks", type: "line", source: "tracks",
    paint: { "line-color": ["get", "colour"], "line-width": 2, "line-opacity": 0.8 },
  });
  map.addSource("jumps", { type: "geojson", data: emptyFC() });
  map.addLayer({
    id: "jumps", type: "line", source: "jumps",
    paint: { "line-color": typeColourExpression(), "line-width": 1.5, "line-dasharray": [2, 2], "line-opacity": 0.8 },
  });
  map.addSource("events", { type: "geojson", data: emptyFC() });
  map.addLayer({
    id: "events", type: "circle", source: "events",
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 3, 3.5, 8, 7],
      "circle-color": typeColourExpression(),
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 0.8,
      "circle-opacity": 0.9,
    },
  });
  map.addLayer({
    id: "events-selected", type: "circle", source: "events",
    filter: ["==", ["get", "event_id"], ""],
    paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#000000", "circle-stroke-width": 2.5 },
  });
  map.addSource("replay-pos", { type: "geojson", data: emptyFC() });
  map.addLayer({
    id: "replay-pos", type: "circle", source: "replay-pos",
    paint: { "circle-radius": 7, "circle-color": ["get", "colour"], "circle-stroke-color": "#000", "circle-stroke-width": 1.5 },
  });
  syncBboxLayer();
}

function bindMapEvents(map) {
  map.on("click", "events", (ev) => {
    const f = ev.features && ev.features[0];
    if (f) selectEvent(String(f.properties.event_id), { fly: false, scroll: true });
  });
  map.on("mouseenter", "events", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "events", () => { map.getCanvas().style.cursor = ""; });

  // Rectangle drawing for the bbox filter: press, drag, release.
  let start = null;
  map.on("mousedown", (ev) => {
    if (!mapState.drawing) return;
    ev.preventDefault();
    start = ev.lngLat;
  });
  map.on("mousemove", (ev) => {
    if (!mapState.drawing || !start) return;
    filterState.bbox = normBbox(start, ev.lngLat);
    syncBboxLayer();
  });
  map.on("mouseup", (ev) => {
    if (!mapState.drawing || !start) return;
    filterState.bbox = normBbox(start, ev.lngLat);
    start = null;
    setDrawing(false);
    syncBboxLayer();
    writeFilterForm();
    applyFilters();
  });
}

function normBbox(a, b) {
  return [Math.min(a.lng, b.lng), Math.min(a.lat, b.lat), Math.max(a.lng, b.lng), Math.max(a.lat, b.lat)];
}

function setDrawing(on) {
  mapState.drawing = on;
  const map = mapState.map;
  if (!map) return;
  if (on) map.dragPan.disable(); else map.dragPan.enable();
  map.getCanvas().style.cursor = on ? "crosshair" : "";
  $("#draw-bbox").classList.toggle("active", on);
}

function syncBboxLayer() {
  const src = mapState.map && mapState.map.getSource("bbox");
  if (!src) return;
  const b = filterState.bbox;
  src.setData(b ? {
    type: "FeatureCollection",
    features: [{
      type: "Feature", properties: {},
      geometry: { type: "Polygon", coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] },
    }],
  } : emptyFC());
}

function vesselLabel(ev, mmsi) {
  const names = ev.names || {};
  const name = names[mmsi] ?? names[String(mmsi)];
  return name ? `${name} (${mmsi})` : String(mmsi);
}

function vesselLinks(ev) {
  const span = el("span");
  const mmsis = [ev.mmsi, ev.other_mmsi].filter((m) => m !== null && m !== undefined);
  mmsis.forEach((m, i) => {
    if (i) span.append(" + ");
    span.append(el("a", { href: `#/vessel/${m}`, text: vesselLabel(ev, m), onclick: (e) => e.stopPropagation() }));
  });
  if (ev.designated) span.append(el("span", { class: "badge designated", text: "designated", title: "involves a vessel on a loaded sanctions list" }));
  return span;
}

function eventRow(ev, { withReplay = true } = {}) {
  const tr = el("tr", { "data-event-id": ev.event_id, class: "event-row" },
    el("td", { text: fmtTime(ev.start_time) }),
    el("td", {}, el("span", { class: "swatch", "data-type": ev.event_type }), ev.event_type),
    el("td", {}, vesselLinks(ev)),
    el("td", { text: ev.zone_name || ev.port_name || `${fmtNum(ev.lat, 3)}, ${fmtNum(ev.lon, 3)}` }),
    el("td", { class: "num", text: fmtNum(ev.duration_h) }),
  );
  tr.title = ev.explanation || "";
  if (withReplay) {
    const cell = el("td");
    if (ev.event_type === "encounter" && ev.other_mmsi) {
      cell.append(el("button", { type: "button", class: "small-button", text: "Replay", onclick: (e) => { e.stopPropagation(); startReplay(ev); } }));
    }
    tr.append(cell);
  }
  return tr;
}

function colourSwatches() {
  // Swatch colours come from CSS classes per type (style-src 'self' forbids inline styles).
  const legend = clear($("#legend"));
  const box = $("#f-types");
  for (const [t] of EVENT_TYPES) {
    legend.append(el("span", { class: "legend-item" }, el("span", { class: "swatch", "data-type": t }), t));
    box.append(el("label", {}, el("input", { type: "checkbox", name: "type", value: t, checked: true }), " ", t));
  }
}

async function loadEvents({ append = false } = {}) {
  // Filters change faster than answers come back: only the latest request may draw.
  const seq = ++mapState.seq;
  const params = filterParams();
  params.set("limit", String(PAGE_ROWS));
  params.set("offset", String(append ? mapState.events.length : 0));
  setStatus("Loading events…");
  try {
    const page = await api(`/api/events?${params}`);
    if (seq !== mapState.seq) return;
    mapState.total = page.total;
    mapState.events = append ? mapState.events.concat(page.items) : page.items;
    renderEventList();
    if (!append) await loadEventFeatures(seq);
    if (seq === mapState.seq) setStatus("");
  } catch (e) {
    if (seq === mapState.seq) setStatus(`Events: ${e.message}`, true);
  }
}

async function loadEventFeatures(seq) {
  const params = filterParams();
  params.set("limit", String(MAP_FEATURES_MAX));
  const map = await initMap();
  const fc = await api(`/api/events.geojson?${params}`);
  if (seq !== mapState.seq) return;
  // One marker per event at its start position; an event that moved (the API gives those a
  // LineString from start to end) also draws that line when the jump is the finding itself.
  const points = [];
  const jumps = [];
  for (const f of fc.features) {
    const p = f.properties;
    if (!Number.isFinite(p.lon) || !Number.isFinite(p.lat)) continue;
    points.push({ type: "Feature", properties: p, geometry: { type: "Point", coordinates: [p.lon, p.lat] } });
    if (JUMP_TYPES.has(p.event_type) && f.geometry && f.geometry.type === "LineString") {
      jumps.push({ type: "Feature", properties: { event_id: p.event_id, event_type: p.event_type }, geometry: f.geometry });
    }
  }
  map.getSource("events").setData({ type: "FeatureCollection", features: points });
  map.getSource("jumps").setData({ type: "FeatureCollection", features: jumps });
  mapState.featureCount = points.length;
  document.body.dataset.mapEvents = String(points.length);
  if (points.length && !mapState.fitted) {
    const b = new maplibregl.LngLatBounds();
    for (const f of points) b.extend(f.geometry.coordinates);
    map.fitBounds(b, { padding: 40, maxZoom: 8, duration: 0 });
    mapState.fitted = true;
  }
}

function renderEventList() {
  const body = clear($("#event-list tbody"));
  for (const ev of mapState.events) {
    const tr = eventRow(ev);
    tr.addEventListener("click", () => selectEvent(ev.event_id, { fly: true, scroll: false }));
    body.append(tr);
  }
  $("#event-count").textContent = `${mapState.total} events` +
    (mapState.events.length < mapState.total ? ` (showing ${mapState.events.length})` : "");
  $("#more-events").hidden = mapState.events.length >= mapState.total;
  highlightRow();
}

function highlightRow() {
  for (const tr of document.querySelectorAll("#event-list tr.selected")) tr.classList.remove("selected");
  if (!mapState.selected) return null;
  const tr = document.querySelector(`#event-list tr[data-event-id="${CSS.escape(mapState.selected)}"]`);
  if (tr) tr.classList.add("selected");
  return tr;
}

function selectEvent(eventId, { fly, scroll }) {
  mapState.selected = eventId;
  const map = mapState.map;
  if (map && map.getLayer("events-selected")) map.setFilter("events-selected", ["==", ["get", "event_id"], eventId]);
  const tr = highlightRow();
  if (tr && scroll) tr.scrollIntoView({ block: "nearest" });
  const ev = mapState.events.find((e) => e.event_id === eventId);
  if (fly && ev && map) map.flyTo({ center: [ev.lon, ev.lat], zoom: Math.max(map.getZoom(), 7), duration: 800 });
  document.body.dataset.selectedEvent = eventId;
}

function applyFilters() {
  readFilterForm();
  writeFilterForm();
  const q = filterParams().toString();
  const target = `#/map${q ? `?${q}` : ""}`;
  updateExportLinks();
  if (window.location.hash !== target) history.replaceState(null, "", target);
  mapState.selected = null;
  loadEvents();
}

// ---------------------------------------------------------------- replay

function interpolate(track, t) {
  // track: {coords: [[lon,lat]...], times: [ms...]} sorted by time; null outside the track
  const { coords, times } = track;
  if (!times.length || t < times[0] || t > times[times.length - 1]) return null;
  let lo = 0;
  let hi = times.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid; else hi = mid;
  }
  const span = times[hi] - times[lo];
  const f = span > 0 ? (t - times[lo]) / span : 0;
  return [coords[lo][0] + f * (coords[hi][0] - coords[lo][0]), coords[lo][1] + f * (coords[hi][1] - coords[lo][1])];
}

async function startReplay(ev) {
  selectEvent(ev.event_id, { fly: false, scroll: false });
  const map = await initMap();
  const pad = REPLAY_CONTEXT_H * 3600 * 1000;
  const since = new Date(Date.parse(ev.start_time) - pad).toISOString().replace(/\.\d+Z$/, "Z");
  const until = new Date(Date.parse(ev.end_time || ev.start_time) + pad).toISOString().replace(/\.\d+Z$/, "Z");
  const colours = ["#d7301f", "#0570b0"];
  const vessels = [ev.mmsi, ev.other_mmsi];
  setStatus("Loading tracks…");
  try {
    const fcs = await Promise.all(vessels.map((m) => api(`/api/vessels/${m}/track?since=${since}&until=${until}`)));
    const tracks = [];
    const lines = [];
    fcs.forEach((fc, i) => {
      for (const f of fc.features) {
        const times = (f.properties.times || f.properties.times_iso || []).map((s) => Date.parse(s));
        const coords = f.geometry.coordinates;
        if (times.length !== coords.length || !coords.length) continue;
        tracks.push({ mmsi: vessels[i], colour: colours[i], coords, times });
        lines.push({ type: "Feature", properties: { colour: colours[i], mmsi: vessels[i] }, geometry: f.geometry });
      }
    });
    if (!tracks.length) throw new Error("no track positions around this encounter");
    map.getSource("tracks").setData({ type: "FeatureCollection", features: lines });
    const t0 = Math.min(...tracks.map((t) => t.times[0]));
    const t1 = Math.max(...tracks.map((t) => t.times[t.times.length - 1]));
    mapState.replay = { tracks, t0, t1, timer: null };
    const names = clear($("#replay-vessels"));
    vessels.forEach((m, i) => names.append(el("span", { class: `replay-key k${i}`, text: vesselLabel(ev, m) })));
    $("#replay").hidden = false;
    const slider = $("#replay-slider");
    // start at the encounter's start
    slider.value = String(Math.round(1000 * (Date.parse(ev.start_time) - t0) / Math.max(1, t1 - t0)));
    drawReplay();
    const b = new maplibregl.LngLatBounds();
    for (const t of tracks) for (const c of t.coords) b.extend(c);
    map.fitBounds(b, { padding: 60, maxZoom: 10, duration: 500 });
    setStatus("");
  } catch (e) {
    setStatus(`Replay: ${e.message}`, true);
  }
}

function drawReplay() {
  const r = mapState.replay;
  if (!r || !mapState.map) return;
  const frac = Number($("#replay-slider").value) / 1000;
  const t = r.t0 + frac * (r.t1 - r.t0);
  const feats = [];
  for (const tr of r.tracks) {
    const pos = interpolate(tr, t);
    if (pos) feats.push({ type: "Feature", properties: { colour: tr.colour, mmsi: tr.mmsi }, geometry: { type: "Point", coordinates: pos } });
  }
  mapState.map.getSource("replay-pos").setData({ type: "FeatureCollection", features: feats });
  $("#replay-time").textContent = fmtTime(new Date(t).toISOString());
  document.body.dataset.replayPositions = String(feats.length);
}

function stopReplay() {
  const r = mapState.replay;
  if (r && r.timer) clearInterval(r.timer);
  mapState.replay = null;
  $("#replay").hidden = true;
  $("#replay-play").textContent = "Play";
  if (mapState.map) {
    mapState.map.getSource("tracks").setData(emptyFC());
    mapState.map.getSource("replay-pos").setData(emptyFC());
  }
}

function togglePlay() {
  const r = mapState.replay;
  if (!r) return;
  const btn = $("#replay-play");
  if (r.timer) {
    clearInterval(r.timer);
    r.timer = null;
    btn.textContent = "Play";
    return;
  }
  const slider = $("#replay-slider");
  if (Number(slider.value) >= 1000) slider.value = "0";
  btn.textContent = "Pause";
  r.timer = setInterval(() => {
    slider.value = String(Math.min(1000, Number(slider.value) + 4));
    drawReplay();
    if (Number(slider.value) >= 1000) togglePlay();
  }, 50);
}

// ---------------------------------------------------------------- relationship graph (SVG)

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function layoutGraph(nodes, links, width, height, centreId) {
  // A small force layout (repulsion, springs, gravity); deterministic start on a circle.
  const pos = new Map();
  nodes.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length);
    pos.set(n.id, { x: width / 2 + (width / 3) * Math.cos(a), y: height / 2 + (height / 3) * Math.sin(a), vx: 0, vy: 0 });
  });
  if (pos.has(centreId)) Object.assign(pos.get(centreId), { x: width / 2, y: height / 2 });
  const k = Math.sqrt((width * height) / Math.max(1, nodes.length)) * 0.6;
  for (let iter = 0; iter < 300; iter++) {
    const temp = 1 - iter / 300;
    for (const a of nodes) {
      const pa = pos.get(a.id);
      for (const b of nodes) {
        if (a === b) continue;
        const pb = pos.get(b.id);
        const dx = pa.x - pb.x || 0.01;
        const dy = pa.y - pb.y || 0.01;
        const d2 = dx * dx + dy * dy;
        pa.vx += (dx / d2) * k * k * 0.05;
        pa.vy += (dy / d2) * k * k * 0.05;
      }
    }
    for (const l of links) {
      const ps = pos.get(l.source);
      const pt = pos.get(l.target);
      if (!ps || !pt) continue;
      const dx = pt.x - ps.x;
      const dy = pt.y - ps.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
      const f = ((d - k) / d) * 0.05;
      ps.vx += dx * f; ps.vy += dy * f;
      pt.vx -= dx * f; pt.vy -= dy * f;
    }
    for (const n of nodes) {
      const p = pos.get(n.id);
      p.vx += (width / 2 - p.x) * 0.01;
      p.vy += (height / 2 - p.y) * 0.01;
      if (n.id === centreId) { p.vx = 0; p.vy = 0; }
      p.x += Math.max(-20, Math.min(20, p.vx)) * temp;
      p.y += Math.max(-20, Math.min(20, p.vy)) * temp;
      p.x = Math.max(30, Math.min(width - 30, p.x));
      p.y = Math.max(20, Math.min(height - 20, p.y));
      p.vx *= 0.5; p.vy *= 0.5;
    }
  }
  return pos;
}

function nodeHref(n) {
  // Graph node ids (sanctionwatch.linking.graph): "mmsi:<n>" / "imo:<n>" ships, "name:<...>"
  // unresolved parties (no page), anything else a list entity id.
  const m = /^(mmsi|imo):(\d+)$/.exec(String(n.id));
  if (m) return `#/vessel/${m[2]}`;
  if (String(n.id).startsWith("name:")) return null;
  return `#/entity/${encodeURIComponent(n.id)}`;
}

function drawGraph(container, graph, centreId) {
  clear(container);
  const nodes = graph.nodes || [];
  const links = (graph.links || []).filter((l) => l.source !== l.target);
  if (!nodes.length) {
    container.append(el("p", { class: "small", text: "No relationships recorded." }));
    return;
  }
  const width = 560;
  const height = Math.max(260, Math.min(520, 60 * Math.sqrt(nodes.length) + 160));
  const pos = layoutGraph(nodes, links, width, height, centreId);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "graph-svg", role: "img" });
  root.append(Object.assign(svg("title"), { textContent: "Relationship graph" }));
  for (const l of links) {
    const a = pos.get(l.source);
    const b = pos.get(l.target);
    if (!a || !b) continue;
    const g = svg("g", { class: "link" });
    g.append(svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
    const t = svg("text", { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, class: "link-label" });
    t.textContent = l.relation || "";
    const tip = svg("title");
    tip.textContent = `${l.relation || ""}${l.origin ? ` (${l.origin})` : ""}`;
    g.append(t, tip);
    root.append(g);
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const href = nodeHref(n);
    const a = svg(href ? "a" : "g", { ...(href ? { href } : {}), class: `node kind-${String(n.kind || "other").toLowerCase().replace(/[^a-z]/g, "")}${n.designated ? " designated" : ""}${n.id === centreId ? " centre" : ""}` });
    a.append(svg("circle", { cx: p.x, cy: p.y, r: n.id === centreId ? 10 : 7 }));
    // labels point away from the centre so that the right-hand ones stay inside the frame
    const right = p.x <= width / 2;
    const label = svg("text", { x: right ? p.x + 11 : p.x - 11, y: p.y + 4, "text-anchor": right ? "start" : "end" });
    label.textContent = n.label || n.id;
    const tip = svg("title");
    tip.textContent = `${n.kind || ""}: ${n.label || n.id}${n.designated ? " (designated)" : ""}`;
    a.append(label, tip);
    root.append(a);
  }
  container.append(root);
}

// ---------------------------------------------------------------- vessel page

function kv(label, value) {
  return el("span", { class: "kv" }, el("span", { class: "k", text: label }), " ", el("span", { class: "v", text: value }));
}

async function showVessel(key) {
  const frame = $("#v-dossier");
  $("#v-name").textContent = `Vessel ${key}`;
  for (const sel of ["#v-ids", "#v-reasons", "#v-partners", "#v-graph", "#v-exports"]) clear($(sel));
  for (const sel of ["#v-matches", "#v-identities", "#v-events"]) clear($(`${sel} tbody`));
  setStatus("Loading vessel…");
  let v;
  try {
    v = await api(`/api/vessels/${encodeURIComponent(key)}`);
  } catch (e) {
    setStatus(`Vessel ${key}: ${e.message}`, true);
    frame.removeAttribute("src");
    return;
  }
  $("#v-name").textContent = v.name || `Vessel ${key}`;
  const ids = $("#v-ids");
  ids.append(kv("MMSI", (v.mmsi || []).join(", ")), kv("IMO", v.imo ?? "unknown"));
  const risk = v.risk || {};
  $("#v-score").textContent = `risk ${fmtNum(risk.score, 2)}`;
  $("#v-confidence").textContent = risk.confidence !== undefined ? `confidence ${fmtNum(risk.confidence, 2)}` : "";
  for (const r of risk.reasons || []) $("#v-reasons").append(el("li", { text: typeof r === "string" ? r : JSON.stringify(r) }));
  const mb = $("#v-matches tbody");
  for (const m of v.matches || []) {
    // rows of the store's vessel_matches table
    const datasets = Array.isArray(m.datasets) ? m.datasets.join(", ") : (m.datasets || "");
    mb.append(el("tr", { class: m.is_match ? "match" : "" },
      el("td", {}, el("a", { href: `#/entity/${encodeURIComponent(m.match_id || "")}`, text: m.match_name || m.match_id || "" }),
        el("div", { class: "small", text: `${datasets}${m.ais_name ? ` · AIS name ${m.ais_name}` : ""}` })),
      el("td", { class: "num", text: fmtNum(m.score, 2) }),
      el("td", { text: [m.matched_on, m.explanation].filter(Boolean).join(": ") })));
  }
  if (!(v.matches || []).length) mb.append(el("tr", {}, el("td", { colspan: 3, class: "small", text: "No match on the loaded lists." })));
  const ib = $("#v-identities tbody");
  for (const idn of v.identities || []) {
    ib.append(el("tr", {},
      el("td", { text: idn.mmsi ?? "" }), el("td", { text: idn.name ?? "" }), el("td", { text: idn.callsign ?? idn.call_sign ?? "" }),
      el("td", { text: idn.flag ?? "" }), el("td", { text: fmtTime(idn.first_seen) }), el("td", { text: fmtTime(idn.last_seen) })));
  }
  for (const p of v.partners || []) {
    $("#v-partners").append(el("li", {}, el("a", { href: `#/vessel/${p.mmsi}`, text: `${p.name || "unnamed"} (${p.mmsi})` }),
      p.score !== undefined && p.score !== null ? ` risk ${fmtNum(p.score, 2)}` : ""));
  }
  $("#v-events-total").textContent = v.events_total !== undefined ? `(${v.events_total})` : "";
  const exp = $("#v-exports");
  for (const [fmt, label] of [["geojson", "Track GeoJSON"], ["parquet", "Track GeoParquet"], ["kml", "Track KML"]]) {
    const a = el("a", { class: "button", text: label });
    downloadLink(a, `/api/export/track/${encodeURIComponent(key)}.${fmt}`);
    exp.append(a);
  }
  for (const m of v.mmsi || []) {
    const a = el("a", { class: "button", text: `Events CSV (${m})` });
    downloadLink(a, `/api/export/events.csv?mmsi=${m}`);
    exp.append(a);
  }
  setDossier(frame, key);
  setStatus("");
  const eb = $("#v-events tbody");
  try {
    const pages = await Promise.all((v.mmsi || []).map((m) => api(`/api/events?mmsi=${m}&limit=${PAGE_ROWS}`)));
    const seen = new Set();
    const items = pages.flatMap((p) => p.items).filter((e) => !seen.has(e.event_id) && seen.add(e.event_id));
    items.sort((a, b) => String(a.start_time).localeCompare(String(b.start_time)));
    for (const ev of items) eb.append(eventRow(ev, { withReplay: false }));
  } catch (e) {
    setStatus(`Events: ${e.message}`, true);
  }
  try {
    const g = await api(`/api/vessels/${encodeURIComponent(key)}/graph?hops=1`);
    const ids = new Set((v.mmsi || []).map((m) => `mmsi:${m}`));
    if (v.imo) ids.add(`imo:${v.imo}`);
    const centre = (g.nodes || []).find((n) => ids.has(String(n.id)));
    drawGraph($("#v-graph"), g, centre ? centre.id : null);
  } catch (e) {
    // 404: the vessel has no node in the relationship graph (no list, registry or STS link)
    $("#v-graph").append(e.status === 404
      ? el("p", { class: "small", text: "No relationships recorded for this vessel." })
      : el("p", { class: "small error", text: `Graph: ${e.message}` }));
  }
}

function setDossier(frame, key) {
  // The dossier is served with its own CSP (no script, framable by the app only) and shown
  // in a sandboxed frame (opaque origin, no script, no forms, no navigation of this page).
  frame.setAttribute("sandbox", "");
  frame.setAttribute("src", withToken(`/api/vessels/${encodeURIComponent(key)}/dossier`));
}

// ---------------------------------------------------------------- entity page

async function showEntity(id) {
  $("#e-name").textContent = id;
  clear($("#e-meta"));
  clear($("#e-props tbody"));
  clear($("#e-graph"));
  try {
    const ent = await api(`/api/entities/${encodeURIComponent(id)}`);
    $("#e-name").textContent = ent.caption || (ent.properties && ent.properties.name && ent.properties.name[0]) || id;
    $("#e-meta").append(kv("schema", ent.schema || ""), kv("id", ent.id || id),
      kv("lists", (ent.datasets || []).join(", ")));
    const body = $("#e-props tbody");
    const stmts = ent.statements || [];
    if (stmts.length) {
      for (const s of stmts) {
        body.append(el("tr", {}, el("td", { text: s.prop ?? s.property ?? "" }), el("td", { text: s.value ?? "" }),
          el("td", { text: [s.dataset, s.list_date, s.source_record].filter(Boolean).join(" · ") })));
      }
    } else {
      for (const [prop, values] of Object.entries(ent.properties || {})) {
        for (const value of values) body.append(el("tr", {}, el("td", { text: prop }), el("td", { text: typeof value === "string" ? value : JSON.stringify(value) }), el("td")));
      }
    }
  } catch (e) {
    setStatus(`Entity: ${e.message}`, true);
    return;
  }
  try {
    drawGraph($("#e-graph"), await api(`/api/entities/${encodeURIComponent(id)}/graph?hops=1`), id);
  } catch (e) {
    $("#e-graph").append(el("p", { class: "small error", text: `Graph: ${e.message}` }));
  }
}

// ---------------------------------------------------------------- screening

async function runScreen(q, schema) {
  const body = clear($("#screen-results tbody"));
  $("#screen-summary").textContent = "";
  if (!q) return;
  const params = new URLSearchParams({ q, limit: "10" });
  if (schema) params.set("schema", schema);
  setStatus("Screening…");
  try {
    const results = await api(`/api/screen?${params}`);
    $("#screen-summary").textContent = `${results.length} candidate${results.length === 1 ? "" : "s"} for “${q}”, ${results.filter((r) => r.match).length} above the match threshold`;
    for (const r of results) {
      body.append(el("tr", { class: r.match ? "match" : "" },
        el("td", {}, el("a", { href: `#/entity/${encodeURIComponent(r.id)}`, text: r.name })),
        el("td", { text: r.schema }),
        el("td", { text: (r.datasets || []).join(", ") }),
        el("td", { class: "num", text: fmtNum(r.score, 2) }),
        el("td", { text: r.match ? "match" : "" }),
        el("td", { text: r.explanation || "" })));
    }
    setStatus("");
  } catch (e) {
    setStatus(`Screening: ${e.message}`, true);
  }
}

// ---------------------------------------------------------------- alerts

let alertSeq = 0;

async function loadAlerts() {
  // Two selectors change faster than answers come back: only the latest request may draw.
  const seq = ++alertSeq;
  const status = $("#alert-status").value;
  const kind = $("#alert-kind").value;
  setStatus("Loading alerts…");
  try {
    const alerts = await api(`/api/alerts?limit=50&status=${encodeURIComponent(status)}&kind=${encodeURIComponent(kind)}`);
    if (seq !== alertSeq) return;
    const body = clear($("#alerts tbody"));
    $("#alert-count").textContent = `${alerts.length} ${status === "all" ? "" : `${status} `}alerts`;
    for (const a of alerts) body.append(alertRow(a));
    setStatus("");
  } catch (e) {
    if (seq === alertSeq) setStatus(`Alerts: ${e.message}`, true);
  }
}

function alertRow(a) {
  const reasons = el("ul", { class: "reasons" });
  for (const r of a.reasons || []) reasons.append(el("li", { text: typeof r === "string" ? r : JSON.stringify(r) }));
  // a wallet's or card account's alert: reviewed under /api/alerts/{kind}/{key}
  const finance = a.kind === "wallet" || a.kind === "account";
  const reviewUrl = finance ? `/api/alerts/${a.kind}/${encodeURIComponent(a.key)}/reviews`
    : `/api/alerts/${a.mmsi}/reviews`;
  const note = el("input", { type: "text", class: "note", placeholder: "note (who checked what)", "aria-label": `Review note for ${finance ? a.key : a.mmsi}` });
  const history = el("ol", { class: "history", hidden: true });
  const review = async (status) => {
    try {
      await api(reviewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status, note: note.value }),
      });
      setStatus(`${finance ? a.key : (a.name || a.mmsi)}: ${status}`);
      await loadAlerts();
    } catch (e) {
      setStatus(`Review: ${e.message}`, true);
    }
  };
  const showHistory = async () => {
    if (!history.hidden) { history.hidden = true; return; }
    clear(history);
    try {
      for (const r of await api(reviewUrl)) {
        history.append(el("li", { text: `${fmtTime(r.at)} ${r.user || "?"}: ${r.status}${r.note ? ` — ${r.note}` : ""}` }));
      }
      if (!history.firstChild) history.append(el("li", { text: "no reviews yet" }));
      history.hidden = false;
    } catch (e) {
      setStatus(`History: ${e.message}`, true);
    }
  };
  const last = a.last_review;
  const subject = finance
    ? el("td", {}, el("a", { href: `#/entity/${encodeURIComponent(a.subject)}`, text: a.key }),
      el("div", { class: "small", text: `${a.kind} · ${a.label || ""}` }),
      a.kind === "wallet" ? el("a", { class: "small", href: withToken(`/api/wallets/${encodeURIComponent(a.key)}/dossier`), target: "_blank", rel: "noopener", text: "dossier" }) : null)
    : el("td", {}, el("a", { href: `#/vessel/${a.imo || a.mmsi}`, text: a.name || "unnamed" }),
      el("div", { class: "small", text: `MMSI ${a.mmsi}${a.imo ? ` · IMO ${a.imo}` : ""}${a.flag ? ` · ${a.flag}` : ""}` }));
  const tr = el("tr", { "data-mmsi": finance ? "" : a.mmsi, "data-subject": finance ? a.subject : "", "data-status": a.status, class: `alert status-${a.status}` },
    subject,
    el("td", { class: "num", text: fmtNum(a.score, 2) }),
    el("td", {}, reasons),
    el("td", {}, el("span", { class: `badge status ${a.status}`, text: a.status }),
      last ? el("div", { class: "small", text: `${last.user || "?"} ${fmtTime(last.at)}${last.note ? `: ${last.note}` : ""}` }) : null),
    el("td", { class: "review" }, note,
      el("div", { class: "row" },
        el("button", { type: "button", class: "confirm", text: "Confirm", onclick: () => review("confirmed") }),
        el("button", { type: "button", class: "dismiss", text: "Dismiss", onclick: () => review("dismissed") }),
        a.status !== "open" ? el("button", { type: "button", class: "reopen", text: "Reopen", onclick: () => review("open") }) : null,
        el("button", { type: "button", class: "history-button", text: "History", onclick: showHistory })),
      history));
  return tr;
}

// ---------------------------------------------------------------- trade & fishing

const MECHANISMS = { visible_sts: "visible STS", dark_sts: "dark STS", direct_port_call: "direct port call" };
// The cap bar's scale runs at least this far past the cap, so that the cap line never sits at the edge.
const CAP_BAR_MIN_SHARE = 1.25;

const tradeState = { flags: [], flagsTotal: 0, mirror: [], mirrorTotal: 0, flagSeq: 0, mirrorSeq: 0 };

function fmtInt(x) {
  return x === null || x === undefined || Number.isNaN(Number(x)) ? ""
    : Number(x).toLocaleString("en-US", { maximumFractionDigits: 0 });
}

function fmtShare(x) {
  return x === null || x === undefined ? "" : `${Math.round(Number(x) * 100)} %`;
}

function vesselLink(key, label) {
  return el("a", { href: `#/vessel/${encodeURIComponent(key)}`, text: label });
}

// The map view's filters for one event (its vessel, its time to the minute) and the event to ring.
function eventMapHref(e) {
  const since = `${String(e.start_time).slice(0, 16)}:00Z`;
  const until = `${new Date(Date.parse(e.end_time || e.start_time) + 60_000).toISOString().slice(0, 16)}:00Z`;
  const p = new URLSearchParams({ mmsi: String(e.mmsi), since, until, event: e.event_id });
  return `#/map?${p}`;
}

function capBar(shares, draughtShare) {
  // One bar per year: the range between one third and 90 % laden, a tick at half laden, the
  // cap as a vertical line at 100 %, the draught-based figure as a dot.
  const width = 260;
  const height = 22;
  const top = Math.max(CAP_BAR_MIN_SHARE, shares.ninety || 0, draughtShare || 0) * 1.05;
  const x = (s) => (Math.max(0, s) / top) * width;
  const label = `${fmtShare(shares.third)} to ${fmtShare(shares.ninety)} of the cap (half laden ${fmtShare(shares.half)})`
    + (draughtShare ? `; from draught ${fmtShare(draughtShare)}` : "");
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "cap-bar", role: "img", "aria-label": label });
  root.append(Object.assign(svg("title"), { textContent: label }));
  root.append(svg("rect", { x: 0, y: 5, width, height: 12, class: "cap-track" }));
  const lo = x(shares.third || 0);
  const hi = x(shares.ninety || 0);
  const capX = x(1);
  root.append(svg("rect", { x: lo, y: 5, width: Math.max(1, Math.min(hi, capX) - lo), height: 12, class: "cap-range" }));
  if (hi > capX) root.append(svg("rect", { x: Math.max(lo, capX), y: 5, width: hi - Math.max(lo, capX), height: 12, class: "cap-over" }));
  root.append(svg("line", { x1: x(shares.half || 0), x2: x(shares.half || 0), y1: 3, y2: 19, class: "cap-half" }));
  if (draughtShare) root.append(svg("circle", { cx: x(draughtShare), cy: 11, r: 3.5, class: "cap-draught" }));
  root.append(svg("line", { x1: capX, x2: capX, y1: 0, y2: height, class: "cap-line" }));
  return { root, label };
}

let petroleumSeq = 0;

async function loadPetroleum() {
  // cleared when the answer comes, so that a second load (the view opened twice) never adds rows
  const seq = ++petroleumSeq;
  let r;
  let failed = null;
  try {
    r = await api("/api/petroleum");
  } catch (e) {
    failed = e;
  }
  if (seq !== petroleumSeq) return;
  const years = clear($("#p-years tbody"));
  const body = clear($("#p-deliveries tbody"));
  $("#p-cap").textContent = "";
  $("#p-count").textContent = "";
  $("#p-note").classList.toggle("error", failed !== null);
  if (failed) {
    $("#p-note").textContent = `Petroleum: ${failed.message}`;
    return;
  }
  $("#p-note").textContent = r.note || "";
  $("#p-cap").textContent = `Cap: ${fmtInt(r.cap_barrels)} barrels of refined petroleum a year — ${r.cap_citation}`;
  const draughtByYear = new Map();
  for (const d of r.deliveries) {
    if (d.draught_barrels === null || d.draught_barrels === undefined) continue;
    const y = Number(String(d.arrival_time).slice(0, 4));
    draughtByYear.set(y, (draughtByYear.get(y) || 0) + 1);
  }
  for (const y of r.years) {
    const order = Object.keys(MECHANISMS);
    const mech = Object.entries(y.by_mechanism || {})
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([k, n]) => `${n} ${MECHANISMS[k] || k}`).join(", ");
    const withDraught = draughtByYear.get(y.year) || 0;
    const draughtShare = y.draught_barrels ? y.draught_barrels / r.cap_barrels : 0;
    const bar = capBar(y.share_of_cap || {}, draughtShare);
    years.append(el("tr", { "data-year": y.year },
      el("th", { scope: "row", class: "nw", text: y.year }),
      el("td", {}, el("strong", { text: y.deliveries }), el("div", { class: "small", text: mech })),
      el("td", { class: "num", text: fmtInt(y.barrels.third) }),
      el("td", { class: "num", text: fmtInt(y.barrels.half) }),
      el("td", { class: "num", text: fmtInt(y.barrels.ninety) }),
      el("td", { class: "num" }, fmtInt(y.draught_barrels),
        el("div", { class: "small", text: `${withDraught} of ${y.deliveries} with a draught change` })),
      el("td", { class: "share" }, bar.root, el("div", { class: "small share-text", text: bar.label }))));
  }
  if (!r.years.length) years.append(el("tr", {}, el("td", { colspan: 7, class: "small", text: r.note || "No stored estimate." })));
  $("#p-count").textContent = `(${r.deliveries.length})`;
  for (const d of r.deliveries) body.append(deliveryRow(d));
}

function deliveryRow(d) {
  const tanker = el("td", {}, vesselLink(d.mmsi, d.name || "unnamed"),
    el("div", { class: "small", text: `MMSI ${d.mmsi}${d.imo ? ` · IMO ${d.imo}` : ""}` }));
  const supplier = el("td");
  if (d.supplier_mmsi !== null && d.supplier_mmsi !== undefined) {
    supplier.append(vesselLink(d.supplier_mmsi, d.supplier_name || "unnamed"),
      el("div", { class: "small", text: `MMSI ${d.supplier_mmsi}` }));
  }
  const evidence = el("ul", { class: "evidence" });
  for (const e of d.evidence || []) {
    evidence.append(el("li", {},
      el("span", { class: "role", text: `${e.role}: ` }),
      el("a", { href: eventMapHref(e), text: `${e.event_type} ${e.event_id}`, title: "Show this event on the map" }),
      el("span", { class: "small", text: ` ${fmtTime(e.start_time)} – ${fmtTime(e.end_time)}` }),
      e.mmsi !== d.mmsi ? el("span", { class: "small" }, " · ", vesselLink(e.mmsi, `MMSI ${e.mmsi}`)) : null));
  }
  return el("tr", { "data-delivery-id": d.delivery_id },
    el("td", { class: "nw", text: fmtTime(d.arrival_time) }),
    tanker,
    el("td", { class: "nw", text: d.port }),
    el("td", { class: "nw", text: MECHANISMS[d.mechanism] || d.mechanism }),
    supplier,
    el("td", { class: "num" }, `${fmtInt(d.deadweight_t)} t`, el("div", { class: "small", text: d.deadweight_source })),
    el("td", { class: "num", text: `${fmtInt(d.barrels_third)} – ${fmtInt(d.barrels_half)} – ${fmtInt(d.barrels_ninety)}` }),
    el("td", { class: "num" }, d.draught_barrels !== null && d.draught_barrels !== undefined ? `${fmtInt(d.draught_barrels)} bbl` : "",
      d.draught_change_m !== null && d.draught_change_m !== undefined
        ? el("div", { class: "small", text: `${fmtNum(d.draught_change_m, 1)} m`, title: d.draught_basis || "" }) : null),
    el("td", {}, evidence));
}

function tradeQuery() {
  const p = new URLSearchParams();
  if ($("#flag-severity").value) p.set("severity", $("#flag-severity").value);
  if ($("#flag-imo").value.trim()) p.set("imo", $("#flag-imo").value.trim());
  if ($("#mirror-kind").value) p.set("kind", $("#mirror-kind").value);
  return p;
}

function keepTradeHash() {
  const q = tradeQuery().toString();
  const target = `#/trade${q ? `?${q}` : ""}`;
  if (window.location.hash !== target) history.replaceState(null, "", target);
}

async function loadFlags({ append = false } = {}) {
  const seq = ++tradeState.flagSeq;
  const p = new URLSearchParams({ limit: String(PAGE_ROWS), offset: String(append ? tradeState.flags.length : 0) });
  if ($("#flag-severity").value) p.set("severity", $("#flag-severity").value);
  const imo = $("#flag-imo").value.trim();
  if (imo) p.set("imo", imo);
  try {
    const page = await api(`/api/shipments/flags?${p}`);
    if (seq !== tradeState.flagSeq) return;
    tradeState.flags = append ? tradeState.flags.concat(page.items) : page.items;
    tradeState.flagsTotal = page.total;
  } catch (e) {
    if (seq === tradeState.flagSeq) $("#flag-count").textContent = `Flags: ${e.message}`;
    return;
  }
  const body = clear($("#flags tbody"));
  for (const f of tradeState.flags) {
    const vessel = el("td", { text: f.vessel_name || "" });
    if (f.vessel_imo !== null && f.vessel_imo !== undefined) {
      vessel.append(el("div", { class: "small" }, "IMO ",
        f.vessel_known ? vesselLink(f.vessel_imo, String(f.vessel_imo)) : String(f.vessel_imo)));
    }
    body.append(el("tr", { "data-shipment-id": f.shipment_id, "data-rule": f.rule },
      el("td", { class: "nw" }, f.shipment_id, el("div", { class: "small", text: f.date || "" })),
      vessel,
      el("td", { class: "nw", text: f.rule }),
      el("td", { class: "nw" }, el("span", { class: `badge severity ${f.severity}`, text: f.severity })),
      el("td", { text: f.explanation }),
      el("td", { class: "small", text: f.citation }),
      el("td", { class: "small src", text: `${f.source_file}:${f.line}` })));
  }
  const n = tradeState.flagsTotal;
  $("#flag-count").textContent = n
    ? `${n} flag${n === 1 ? "" : "s"}${tradeState.flags.length < n ? ` (showing ${tradeState.flags.length})` : ""}`
    : "No stored shipment flags match (run `sanctionwatch shipments --input FILE --out FLAGS --store STORE`).";
  $("#more-flags").hidden = tradeState.flags.length >= n;
}

function mirrorFigures(m) {
  const lines = [];
  if (m.value_usd !== null && m.value_usd !== undefined) lines.push(`value USD ${fmtInt(m.value_usd)}`);
  if (m.mirror_value_usd !== null && m.mirror_value_usd !== undefined) lines.push(`mirror USD ${fmtInt(m.mirror_value_usd)}`);
  if (m.quantity !== null && m.quantity !== undefined) lines.push(`quantity ${fmtInt(m.quantity)} ${m.quantity_unit || ""}`.trim());
  if (m.unit_value_usd !== null && m.unit_value_usd !== undefined) {
    lines.push(`USD ${fmtNum(m.unit_value_usd, 3)} per ${m.quantity_unit || "unit"}`
      + (m.median_unit_value_usd !== null && m.median_unit_value_usd !== undefined ? ` (median ${fmtNum(m.median_unit_value_usd, 3)})` : ""));
  }
  if (m.ratio !== null && m.ratio !== undefined) lines.push(`ratio ${fmtNum(m.ratio, 2)}`);
  return el("td", { class: "figures" }, ...lines.map((t) => el("div", { text: t })));
}

async function loadMirror({ append = false } = {}) {
  const seq = ++tradeState.mirrorSeq;
  const p = new URLSearchParams({ limit: String(PAGE_ROWS), offset: String(append ? tradeState.mirror.length : 0) });
  if ($("#mirror-kind").value) p.set("kind", $("#mirror-kind").value);
  try {
    const page = await api(`/api/trade/mirror?${p}`);
    if (seq !== tradeState.mirrorSeq) return;
    tradeState.mirror = append ? tradeState.mirror.concat(page.items) : page.items;
    tradeState.mirrorTotal = page.total;
  } catch (e) {
    if (seq === tradeState.mirrorSeq) $("#mirror-count").textContent = `Mirror findings: ${e.message}`;
    return;
  }
  const body = clear($("#mirror tbody"));
  for (const m of tradeState.mirror) {
    body.append(el("tr", { "data-finding-id": m.finding_id, "data-kind": m.kind },
      el("td", { class: "nw", text: m.finding_id }),
      el("td", { class: "nw", text: m.kind.replaceAll("_", " ") }),
      el("td", { class: "nw", text: `${m.reporter} → ${m.partner}` }, el("div", { class: "small", text: m.flow })),
      el("td", { class: "nw", text: m.hs_code }),
      el("td", { class: "nw", text: m.year }),
      mirrorFigures(m),
      el("td", { class: "nw" }, el("span", { class: `badge severity ${m.severity}`, text: m.severity })),
      el("td", { text: m.explanation }),
      el("td", { class: "small", text: m.citation }),
      el("td", { class: "small src", text: `${m.source_file} line${(m.lines || []).length === 1 ? "" : "s"} ${(m.lines || []).join(", ")}` })));
  }
  const n = tradeState.mirrorTotal;
  $("#mirror-count").textContent = n
    ? `${n} finding${n === 1 ? "" : "s"}${tradeState.mirror.length < n ? ` (showing ${tradeState.mirror.length})` : ""}`
    : "No stored mirror findings match (run `sanctionwatch mirror --input FLOWS --store STORE`).";
  $("#more-mirror").hidden = tradeState.mirror.length >= n;
}

let fishingSeq = 0;

async function loadFishing() {
  const seq = ++fishingSeq;
  let r;
  let failed = null;
  try {
    r = await api("/api/fishing-days");
  } catch (e) {
    failed = e;
  }
  if (seq !== fishingSeq) return;
  const body = clear($("#fishing tbody"));
  const caveat = $("#fishing-caveat");
  if (failed) {
    caveat.textContent = `Fishing days: ${failed.message}`;
    return;
  }
  caveat.textContent = r.caveat || "";
  for (const f of r.items) {
    const zone = el("td", { text: f.zone_name || f.zone_id });
    if (f.approximate) zone.append(el("span", { class: "badge approximate", text: "APPROXIMATE", title: "an approximate zone, not a legal boundary" }));
    body.append(el("tr", { "data-zone": f.zone_id, class: f.approximate ? "approximate" : "" },
      el("td", { class: "nw", text: f.year }),
      zone,
      el("td", { class: "nw", text: f.flag || "" }),
      el("td", { class: "nw", text: (f.gear || "").replaceAll("_", " ") }),
      el("td", { class: "num", text: f.vessels }),
      el("td", { class: "num", text: f.vessel_days }),
      el("td", { class: "num", text: fmtNum(f.fishing_days, 1) }),
      el("td", { class: "num", text: f.park_estimated_days !== null && f.park_estimated_days !== undefined
        ? `${fmtInt(f.park_estimated_days)} (${f.park_vessel_class})` : "none" }),
      el("td", { class: "num", text: f.ais_share !== null && f.ais_share !== undefined ? `${fmtNum(f.ais_share * 100, 2)} %` : "" }),
      el("td", { class: "small", text: f.note || "" })));
  }
  if (!r.items.length) {
    body.append(el("tr", {}, el("td", { colspan: 10, class: "small", text: "No fishing or pair-trawling events inside the DPRK zones in this store." })));
  }
}

async function showTrade(query) {
  const p = new URLSearchParams(query);
  $("#flag-severity").value = p.get("severity") || "";
  $("#flag-imo").value = p.get("imo") || "";
  $("#mirror-kind").value = p.get("kind") || "";
  setStatus("Loading trade and fishing…");
  await Promise.all([loadPetroleum(), loadFlags(), loadMirror(), loadFishing()]);
  setStatus("");
}

// ---------------------------------------------------------------- vessel search box

async function vesselSearch(q) {
  const hits = clear($("#vessel-hits"));
  hits.hidden = true;
  if (!q) return;
  if (/^\d{7,9}$/.test(q)) {
    window.location.hash = `#/vessel/${q}`;
    return;
  }
  try {
    const found = await api(`/api/vessels?q=${encodeURIComponent(q)}&limit=20`);
    for (const v of found) {
      hits.append(el("li", {}, el("a", {
        href: `#/vessel/${v.imo || v.mmsi}`, text: `${v.name || "unnamed"} (${v.mmsi}${v.imo ? `, IMO ${v.imo}` : ""}${v.flag ? `, ${v.flag}` : ""})`,
        onclick: () => { hits.hidden = true; },
      })));
    }
    if (!found.length) hits.append(el("li", { class: "small", text: "no vessel found" }));
    hits.hidden = false;
  } catch (e) {
    setStatus(`Search: ${e.message}`, true);
  }
}

// ---------------------------------------------------------------- routing

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== `view-${view}`;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
  document.body.dataset.view = view;
}

async function route() {
  const hash = window.location.hash || "#/map";
  const [path, query = ""] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  const view = parts[0] || "map";
  if (view !== "map" && mapState.replay) stopReplay();
  document.body.dataset.ready = "false";
  try {
    if (view === "vessel" && parts[1]) {
      show("vessel");
      await showVessel(decodeURIComponent(parts[1]));
    } else if (view === "entity" && parts[1]) {
      show("entity");
      await showEntity(decodeURIComponent(parts.slice(1).join("/")));
    } else if (view === "screen") {
      show("screen");
      const p = new URLSearchParams(query);
      $("#screen-q").value = p.get("q") || "";
      $("#screen-schema").value = p.get("schema") || "";
      await runScreen(p.get("q") || "", p.get("schema") || "");
    } else if (view === "alerts") {
      show("alerts");
      await loadAlerts();
    } else if (view === "trade") {
      show("trade");
      await showTrade(query);
    } else {
      show("map");
      filtersFromHash(query);
      writeFilterForm();
      updateExportLinks();
      await initMap();
      mapState.map.resize();
      syncBboxLayer();
      await loadEvents();
      // #/map?...&event=ID (links from the trade view): ring that event and fly there
      const wanted = new URLSearchParams(query).get("event");
      if (wanted) selectEvent(wanted, { fly: true, scroll: true });
    }
  } finally {
    document.body.dataset.ready = "true";
  }
}

function bindUi() {
  colourSwatches();
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); applyFilters(); });
  $("#filters").addEventListener("change", (e) => {
    if (e.target.name !== "mmsi") applyFilters();
  });
  $("#reset-filters").addEventListener("click", () => {
    Object.assign(filterState, { types: new Set(), since: "", until: "", zone: "", bbox: null, mmsi: "", designated: false, dprk: false });
    writeFilterForm();
    syncBboxLayer();
    applyFilters();
  });
  $("#draw-bbox").addEventListener("click", () => setDrawing(!mapState.drawing));
  $("#clear-bbox").addEventListener("click", () => { filterState.bbox = null; syncBboxLayer(); writeFilterForm(); applyFilters(); });
  $("#more-events").addEventListener("click", () => loadEvents({ append: true }));
  $("#replay-slider").addEventListener("input", drawReplay);
  $("#replay-play").addEventListener("click", togglePlay);
  $("#replay-close").addEventListener("click", stopReplay);
  $("#screen-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams({ q: $("#screen-q").value.trim() });
    if ($("#screen-schema").value) p.set("schema", $("#screen-schema").value);
    window.location.hash = `#/screen?${p}`;
  });
  $("#alert-status").addEventListener("change", loadAlerts);
  $("#alert-kind").addEventListener("change", loadAlerts);
  $("#flag-filters").addEventListener("submit", (e) => { e.preventDefault(); keepTradeHash(); loadFlags(); });
  $("#flag-severity").addEventListener("change", () => { keepTradeHash(); loadFlags(); });
  $("#more-flags").addEventListener("click", () => loadFlags({ append: true }));
  $("#mirror-filters").addEventListener("submit", (e) => e.preventDefault());
  $("#mirror-kind").addEventListener("change", () => { keepTradeHash(); loadMirror(); });
  $("#more-mirror").addEventListener("click", () => loadMirror({ append: true }));
  $("#vessel-search").addEventListener("submit", (e) => { e.preventDefault(); vesselSearch($("#vessel-q").value.trim()); });
  downloadLink($("#export-ftm"), "/api/export/entities.ftm.json");
  window.addEventListener("hashchange", route);
}

captureToken();
bindUi();
route();
