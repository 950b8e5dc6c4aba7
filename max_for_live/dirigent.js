// Dirigent for Max for Live: the device's logic (Max's JavaScript, ES5).
// Inlet: messages from the patch's UI and from [udpreceive]. Outlets: 0 -> [udpsend],
// 1 -> the result list ([umenu]), 2 -> the status light, 3 -> the info line.

autowatch = 1;
inlets = 1;
outlets = 4;

// Every address this device sends, with its type tags, and every reply it handles: the
// contract test checks both against the daemon's OSC table.
var SENDS = {
    "/dirigent/ping": "",
    "/dirigent/search": "sisi",
    "/dirigent/search/like": "sii",
    "/dirigent/like": "i",
    "/dirigent/skip": "i",
    "/dirigent/mutate": "i",
    "/dirigent/param": "sf",
    "/dirigent/variations": "ii",
    "/dirigent/suggest": "ii",
    "/dirigent/play": "i",
    "/dirigent/stop": "",
    "/dirigent/midi/learn": "s",
    "/dirigent/error": "ss"
};
var HANDLES = [
    "/dirigent/pong", "/dirigent/status/reply", "/dirigent/result", "/dirigent/results/end",
    "/dirigent/feedback/ok", "/dirigent/mutate/queued", "/dirigent/stem/ready",
    "/dirigent/param/ok", "/dirigent/variations/queued", "/dirigent/play/scheduled",
    "/dirigent/stop/ok", "/dirigent/midi/learn/armed", "/dirigent/midi/learned",
    "/dirigent/transport/next_bar/reply", "/dirigent/library/rescan/started",
    "/dirigent/reply_port/ok", "/dirigent/listen/ok", "/dirigent/error"
];

var topK = 10;
var category = "any";  // or a category name: the menu's item
var discovering = 0;   // 1: at least half the results new to the user
var results = [];      // [{rank, path, score, category, stem, isNew}]
var pending = [];      // results of the answer being received
var selected = 0;
var loadTo = "clip";   // "clip": the selected track's first empty slot; "simpler": its Simpler
var lastPong = 0;

function send(address) {
    var args = arrayfromargs(arguments).slice(1);
    outlet(0, [address].concat(args));
}

// --- from the UI ------------------------------------------------------------------------

function loadbang() { send("/dirigent/ping"); }
function ping() { send("/dirigent/ping"); }
function prompt() {
    var text = arrayfromargs(arguments).join(" ");
    if (text.length === 0) { return; }
    send("/dirigent/search", text, topK, category, discovering);
}
function topk(n) { topK = Math.max(1, Math.min(100, Math.floor(n))); }
function cat(name) { category = String(name); }
function discover(on) { discovering = on ? 1 : 0; }
function choose(index) { selected = Math.max(0, Math.floor(index)); }
function stemOf(index) { return results[index] ? results[index].stem : -1; }
function like() { if (stemOf(selected) >= 0) { send("/dirigent/like", stemOf(selected)); } }
function skip() { if (stemOf(selected) >= 0) { send("/dirigent/skip", stemOf(selected)); } }
function more() { if (stemOf(selected) >= 0) { send("/dirigent/search/like", String(stemOf(selected)), topK, discovering); } }
function mutate() { if (stemOf(selected) >= 0) { send("/dirigent/mutate", stemOf(selected)); } }
function variations(n) { if (stemOf(selected) >= 0) { send("/dirigent/variations", stemOf(selected), Math.floor(n)); } }
function suggest() { if (stemOf(selected) >= 0) { send("/dirigent/suggest", stemOf(selected), topK); } }
function audition() { if (stemOf(selected) >= 0) { send("/dirigent/play", stemOf(selected)); } }
function stop() { send("/dirigent/stop"); }
function knob(name, value) { send("/dirigent/param", String(name), parseFloat(value)); }
function learn(name) { send("/dirigent/midi/learn", String(name)); }
function target(mode) { loadTo = (mode === "simpler") ? "simpler" : "clip"; }
function load() { if (results[selected]) { loadIntoLive(results[selected].path); } }

// --- from the daemon --------------------------------------------------------------------

function anything() {
    var address = messagename;
    var args = arrayfromargs(arguments);
    if (address === "/dirigent/pong") {
        lastPong = new Date().getTime();
        outlet(2, 1);
    } else if (address === "/dirigent/result") {
        pending.push({rank: args[0], path: String(args[1]), score: args[2], category: args[3], stem: args[4], isNew: args[5] === 1});
    } else if (address === "/dirigent/results/end") {
        results = pending;
        pending = [];
        selected = 0;
        outlet(1, "clear");
        for (var i = 0; i < results.length; i++) {
            var r = results[i];
            outlet(1, "append", r.rank + ". " + basename(r.path) + " (" + r.category + ", " + r.score.toFixed(2) + ")" + (r.isNew ? " new" : ""));
        }
        var unread = args.length > 3 && String(args[3]) ? " (not understood: " + args[3] + ")" : "";
        var why = args.length > 4 && String(args[4]) ? ": " + args[4] : "";
        outlet(3, "set", "query " + args[0] + ": " + args[1] + " results in " + args[2].toFixed(2) + " ms" + unread + why);
    } else if (address === "/dirigent/stem/ready") {
        outlet(3, "set", "ready: " + basename(String(args[0])) + " (" + args[3] + " bars)");
        loadIntoLive(String(args[0]));
    } else if (address === "/dirigent/error") {
        outlet(3, "set", "error: " + args[0] + ": " + args[1]);
    } else if (HANDLES.indexOf(address) >= 0) {
        outlet(3, "set", address.replace("/dirigent/", "") + " " + args.join(" "));
    }
}

// --- into Live ----------------------------------------------------------------------------

function basename(path) { return String(path).split("/").pop(); }

// Max hands HFS paths on macOS ("Macintosh HD:/Users/me/x.wav"); Live wants POSIX.
function posix(path) {
    var p = String(path);
    var colon = p.indexOf(":/");
    if (colon > 1 && p.charAt(0) !== "/") { p = p.substring(colon + 1); }  // not "C:/"
    return p;
}

function loadIntoLive(path) {
    var file = posix(path);
    var track = new LiveAPI("live_set view selected_track");
    if (!track || track.id == 0) { report("no track selected"); return; }
    if (track.get("has_midi_input") == 1 && loadTo === "clip") { report("the selected track is a MIDI track"); return; }
    if (loadTo === "simpler") {
        var count = track.getcount("devices");
        for (var d = 0; d < count; d++) {
            var device = new LiveAPI(track.unquotedpath + " devices " + d);
            if (device.get("class_name") == "OriginalSimpler") {
                device.call("replace_sample", file);
                return;
            }
        }
        report("no Simpler on the selected track");
        return;
    }
    var slots = track.getcount("clip_slots");
    for (var s = 0; s < slots; s++) {
        var slot = new LiveAPI(track.unquotedpath + " clip_slots " + s);
        if (slot.get("has_clip") == 0) {
            slot.call("create_audio_clip", file);
            return;
        }
    }
    report("no empty clip slot on the selected track");
}

function report(reason) {
    outlet(3, "set", "error: " + reason);
    send("/dirigent/error", "/dirigent/stem/ready", reason);
}
